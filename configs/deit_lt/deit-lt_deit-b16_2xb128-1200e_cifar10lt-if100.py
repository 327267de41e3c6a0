# DeiT-LT, DeiT-B/16 student from scratch on CIFAR-10-LT IF100 at 224 px,
# LDAM-DRW + SAM ResNet-32 teacher at 32 px (train
# teachers/ldam-drw-sam_r32_1xb128-200e_cifar10lt-if100.py first, or give any
# teacher with --cfg-options model.teacher.config=... model.teacher.checkpoint
# =...). Official sh/train_c10_if100.sh: 2 GPUs x 128 x 4 accumulation steps
# (1024 images per step), lr 5e-4 x 256 / 512 = 2.5e-4, 1200 epochs, DRW
# from epoch 1100, ImageNet mean/std, timm's 224-px DeiT augmentation.
_base_ = [
    '../_base_/datasets/cifar10lt-if100_bs128.py',
    './_base_/deit-lt_deit-b16_adamw-coslr.py',
]
teacher_name = 'ldam-drw-sam_r32_1xb128-200e_cifar10lt-if100'
model = dict(
    head=dict(num_classes=10),
    teacher=dict(
        config=f'{{fileDirname}}/teachers/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth',
        input_size=32))

# timm's ImageNet mean/std for every dataset (CIFAR arrays are RGB)
mean = [123.675, 116.28, 103.53]
std = [58.395, 57.12, 57.375]
data_preprocessor = dict(mean=mean, std=std, to_rgb=False)
# timm create_transform(224, is_training=True, auto_augment=
# 'rand-m9-mstd0.5-inc1', re_prob=0.25, re_mode='pixel', interpolation=
# 'bicubic'): colour jitter is unused with RandAugment
train_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=224,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(
            pad_val=[round(x) for x in mean], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=mean,
        fill_std=std),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128, num_workers=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

lr = 5e-4 * 128 * 2 / 512
optim_wrapper = dict(optimizer=dict(lr=lr), accumulative_counts=4)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6 / lr,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=256)  # 2 GPUs x 128
train_cfg = dict(max_epochs=1200)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_epoch=1100)]
# also the official hard-coded head/mid/tail: classes 0-2 / 3-6 / 7-9
val_evaluator = dict(index_cutoffs=(3, 7))
test_evaluator = val_evaluator
