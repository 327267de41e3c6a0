# APA (Alexandridis et al., ECCV 2024) on ImageNet-LT: SE-ResNet-50 with
# AGLU + APA-SE (r=16), cosine classifier (squash, s=16) trained with CE +
# Mixup(0.2), IIF at test time; RandomResizedCrop 224 + flip +
# AutoAugment(ImageNet); SGD 0.2 (batch 4x64), wd 1e-4 (none on
# lambda/kappa), 3 warm-up epochs from x0.01 then cosine to 0 over 200
# epochs; mixed precision.
_base_ = [
    './_base_/models/aglu-apa-se_se-r50_cosine.py',
    '../_base_/datasets/imagenetlt_bs64.py',
    './_base_/schedules/sgd_aglu.py',
    '../_base_/default_runtime.py',
    './_base_/imagenet_pipeline.py',
]

train_dataloader = dict(
    dataset=dict(pipeline={{_base_.imagenet_autoaugment_pipeline}}))

optim_wrapper = dict(
    type='AmpOptimWrapper', optimizer=dict(lr=0.2, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=4),
    dict(type='CosineAnnealingLR', T_max=197, eta_min=0., by_epoch=True,
         begin=3, end=200),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
auto_scale_lr = dict(base_batch_size=256)
