# PaCo on Places-LT with an ImageNet-pretrained ResNet-152, the official
# recipe (PaCo/LT/sh/PlacesLT_train_R152.sh, paco_fp16_places.py):
# torchvision's ResNet-152 weights (--reload_torch resnet152-394f9c45.pth)
# in both encoders, every conv frozen but those of the last block
# (layer4.2) while all BatchNorm layers, the MLP and the classifier train
# (lr_mult 0 here, requires_grad=False officially), 365 classes, alpha
# 0.05, T 0.2, queue 8192, two SimCLR views (--aug sim_sim), total batch
# 128 (4 GPUs x 32), SGD 0.02, wd 5e-4, 30 epochs: warm-up lr * (e + 1) / 5
# for 5 epochs, then lr * (1 + cos(pi (e - 4) / 26)) / 2, mixed precision
# (--fp16).
_base_ = [
    '../_base_/datasets/placeslt_bs64.py',
    '../_base_/default_runtime.py',
    './_base_/paco_r50.py',
    './_base_/imagenet_views.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
model = dict(
    backbone=dict(
        depth=152,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet152')),
    head=dict(num_classes=365))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[{{_base_.paco_sim_view}}, {{_base_.paco_sim_view}}]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32, drop_last=True, dataset=dict(pipeline=train_pipeline))

# frozen: every conv (stem, blocks, downsample) but the last block's
_frozen = dict(lr_mult=0., decay_mult=0.)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    paramwise_cfg=dict(
        custom_keys={
            'backbone.conv1': _frozen,
            '.conv': _frozen,
            'downsample.0': _frozen,
            'backbone.layer4.2.conv': dict(lr_mult=1., decay_mult=1.),
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0, end=5),
    dict(
        type='CosineAnnealingLR',
        T_max=26,
        eta_min=0.,
        by_epoch=True,
        begin=4,
        end=30),
]
train_cfg = dict(max_epochs=30, val_interval=5)
