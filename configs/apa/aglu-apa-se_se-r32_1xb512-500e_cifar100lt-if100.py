# APA (Alexandridis et al., ECCV 2024) on CIFAR-100-LT IF100: SE-ResNet-32
# with AGLU + APA-SE (r=4), cosine classifier (squash features, s=16) trained
# with CE + Mixup(0.2), IIF post-hoc logit adjustment at test time;
# RandomCrop(32, 4) + flip + AutoAugment(CIFAR-10, bilinear) + Cutout(16,
# fill 0); SGD 0.2, wd 1e-3 (none
# on lambda/kappa), batch 512, 3 warm-up epochs from x0.01 then cosine to 0
# over 500 epochs (epoch-wise, as torchvision's reference scripts).
_base_ = [
    './_base_/models/aglu-apa-se_se-r32_cosine.py',
    '../_base_/datasets/cifar100lt-if100_bs128.py',
    './_base_/schedules/sgd_aglu.py',
    '../_base_/default_runtime.py',
    '../_base_/pipelines/autoaugment_cifar10.py',
]

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    {{_base_.cifar10_autoaugment}},
    # official: a hole of side 16 centred anywhere, clipped by the image
    # borders; mmcv's is shifted inside at the top / left borders (its full
    # 16 px there) and clipped at the bottom / right ones
    dict(type='Cutout', shape=16, pad_val=0, prob=1.),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=512, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.2, weight_decay=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=4),
    dict(type='CosineAnnealingLR', T_max=497, eta_min=0., by_epoch=True,
         begin=3, end=500),
]
train_cfg = dict(by_epoch=True, max_epochs=500, val_interval=10)
auto_scale_lr = dict(base_batch_size=512)
