# GPaCo on ImageNet-LT with ResNet-50, the official recipe
# (GPaCo/LT/sh/LT/ImageNetLT_train_R50.sh, GPaCo paco_lt.py): no momentum
# encoder, the GPaCo MLP 2048-2048-2048-128 (no BN), alpha 0.045, T 0.2,
# queue 8192, SGD 0.04 for a total batch of 128 (4 GPUs x 32), wd 5e-4, 400
# epochs (10 warm-up, cosine), two RandAugment views (--aug
# randcls_randclsstack: the PaCo query view and the same with grayscale and
# blur before RandAugment).
_base_ = ['./paco_r50_4xb32-400e_imagenetlt.py']

model = dict(
    type='GPaCo',
    projector=dict(hid_channels=2048, num_layers=3, with_bn=False),
    head=dict(loss=dict(alpha=0.045)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            {{_base_.paco_randcls_view}}, {{_base_.paco_randclsstack_view}}
        ]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.04))
