# MDCS (Zhao et al., ICCV 2023) on ImageNet-LT: the RIDE ResNet-50 (shared
# conv1-layer2, 3 reduced-width experts, cosine classifiers s=30) with the
# MDCS loss and two views (see _base_/imagenet_views.py). Recipe (official
# config_imagenet_lt_resnet50_mdcs_e400.json, 4 GPUs): batch 256 per view,
# SGD 0.1, Nesterov, wd 5e-4, cosine to 0 over 400 epochs, no warm-up.
_base_ = [
    '../ride/ride-3e_r50_8xb32-100e_imagenetlt.py',
    './_base_/imagenet_views.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='MDCSLoss',
            prior_powers=(-0.5, 1., 2.5),
            cs_weight=0.6,
            temperature=1.)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            {{_base_.imagenet_weak_view}}, {{_base_.imagenet_strong_view}}
        ]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=400, eta_min=0, by_epoch=True,
         begin=0, end=400)
]
train_cfg = dict(max_epochs=400)
auto_scale_lr = dict(base_batch_size=256)
custom_hooks = [
    dict(
        type='LossWeightRampHook',
        name='cs_weight',
        max_value=0.6,
        ramp_epochs=20)
]
