# APA (Alexandridis et al., ECCV 2024) on ImageNet-LT: SE-ResNet-50 with
# AGLU + APA-SE (r=16), cosine classifier (squash, s=16) trained with CE +
# Mixup(0.2), IIF at test time; RandomResizedCrop 224 + flip +
# AutoAugment(ImageNet); SGD 0.2 (batch 4x64), wd 1e-4 (none on
# lambda/kappa), 3 warm-up epochs from x0.01 then cosine to 0 over 200
# epochs; mixed precision.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenetlt_bs64.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='SEResNetAGLU',
        depth=50,
        se_ratio=16,
        act_cfg=dict(type='AGLU'),
        out_indices=(3, )),
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=1000,
        in_channels=2048,
        scale=16,
        feature_norm='squash',
        posthoc='iif',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=0.2)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='AutoAugment', policies='imagenet',
         hparams=dict(pad_val=[104, 116, 124], interpolation='bilinear')),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'lambda_param': dict(decay_mult=0.),
            'kappa_param': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=3),
    dict(type='CosineAnnealingLR', T_max=197, eta_min=0., by_epoch=True,
         begin=3, end=200),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)
