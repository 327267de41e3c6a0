# Places-LT recipe of APA (Alexandridis et al., ECCV 2024), stage 1:
# SE-ResNet-152 with AGLU + APA-SE trained on the full ImageNet-1K with a
# linear classifier; RandomResizedCrop 192 + flip + AutoAugment(ImageNet) +
# Mixup(0.2), test resize 232 -> crop 224; SGD 0.256 momentum 0.875
# (batch 4x64), wd 6.1035e-5 (none on lambda/kappa), 3 warm-up epochs from
# x0.01, cosine over 100 epochs; mixed precision. Stage 2 is
# aglu-apa-se_se-r152_4xb64-40e_placeslt.py.
_base_ = [
    './_base_/models/aglu-apa-se_se-r50_cosine.py',
    '../_base_/datasets/imagenetlt_bs64.py',
    './_base_/schedules/sgd_aglu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=152),
    head=dict(
        _delete_=True,
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=192, interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies='imagenet',
        hparams=dict(pad_val=[104, 116, 124], interpolation='bilinear')),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=232, edge='short', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
# full ImageNet-1K (mmpretrain's ImageNet dataset: train/ and val/ folders
# with meta/train.txt and meta/val.txt under data/imagenet)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageNet',
        data_root='data/imagenet',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageNet',
        data_root='data/imagenet',
        split='val',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(lr=0.256, momentum=0.875, weight_decay=6.1035e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=4),
    dict(
        type='CosineAnnealingLR',
        T_max=97,
        eta_min=0.,
        by_epoch=True,
        begin=3,
        end=100),
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=5)
auto_scale_lr = dict(base_batch_size=256)
