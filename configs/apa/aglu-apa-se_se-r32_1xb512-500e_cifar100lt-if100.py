# APA (Alexandridis et al., ECCV 2024) on CIFAR-100-LT IF100: SE-ResNet-32
# with AGLU + APA-SE (r=4), cosine classifier (squash features, s=16) trained
# with CE + Mixup(0.2), IIF post-hoc logit adjustment at test time;
# AutoAugment(CIFAR-10) + RandomCrop(32, 4) + flip; SGD 0.2, wd 1e-3 (none
# on lambda/kappa), batch 512, 3 warm-up epochs from x0.01 then cosine to 0
# over 500 epochs (epoch-wise, as torchvision's reference scripts).
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar100lt-if100_bs128.py',
    '../_base_/default_runtime.py',
    './_base_/autoaugment_cifar10.py',
]

model = dict(
    backbone=dict(
        _delete_=True, type='SEResNetCifarAGLU',
        depth=32,
        se_ratio=4,
        act_cfg=dict(type='AGLU')),
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=100,
        in_channels=64,
        scale=16,
        feature_norm='squash',
        posthoc='iif',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=0.2)))

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    {{_base_.cifar10_autoaugment}},
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=512, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-3),
    paramwise_cfg=dict(
        custom_keys={
            'lambda_param': dict(decay_mult=0.),
            'kappa_param': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=3),
    dict(type='CosineAnnealingLR', T_max=497, eta_min=0., by_epoch=True,
         begin=3, end=500),
]
train_cfg = dict(by_epoch=True, max_epochs=500, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=512)
