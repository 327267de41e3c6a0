# APA (Alexandridis et al., ECCV 2024) on iNaturalist 2018: SE-ResNet-50 with
# AGLU + APA-SE, cosine classifier (squash, s=16), IIF at inference; CE with
# label smoothing 0.1 and Mixup(0.2) / CutMix(1.0); RandomResizedCrop 192 +
# flip + RandAugment(m9) + RandomErasing(0.1), test resize 232 -> crop 224;
# repeated-augmentation sampler x4; SGD 0.5 (batch 4x256), wd 1e-4 (none on
# norms and lambda/kappa), 5 warm-up epochs from x0.01, cosine over 500
# epochs; mixed precision.
_base_ = [
    './_base_/models/aglu-apa-se_se-r50_cosine.py',
    '../_base_/datasets/inat2018_bs64.py',
    './_base_/schedules/sgd_aglu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        num_classes=8142,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.2),
        dict(type='CutMix', alpha=1.0),
    ]))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=192, interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bilinear')),
    # torchvision RandomErasing(p=0.1): area 2-33%, aspect 0.3-3.3, erased
    # to 0 after normalisation = the mean pixel (BGR) before it
    dict(
        type='RandomErasing',
        erase_prob=0.1,
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        aspect_range=(0.3, 3.3),
        mode='const',
        fill_color=(104, 116, 124)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=232, edge='short', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(type='RepeatAugSampler', num_repeats=4, shuffle=True))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(lr=0.5, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=6),
    dict(
        type='CosineAnnealingLR',
        T_max=495,
        eta_min=0.,
        by_epoch=True,
        begin=5,
        end=500),
]
train_cfg = dict(by_epoch=True, max_epochs=500, val_interval=10)
auto_scale_lr = dict(base_batch_size=1024)
