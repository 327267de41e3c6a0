# DeiT-LT, DeiT-B/16 student from scratch on ImageNet-LT, LDAM-DRW + SAM
# ResNet-50 teacher at 224 px (train
# teachers/ldam-drw-sam_r50_4xb64-90e_imagenetlt.py first, or give any
# teacher with --cfg-options model.teacher.config=... model.teacher.checkpoint
# =...). Official sh/train_imagenetlt.sh: 4 GPUs x 128 x 4 accumulation steps
# (2048 images per step), lr 5e-4 x 512 / 512, 1400 epochs, DRW from epoch
# 1200. mmlt keeps ImageNet's class ids (the official code re-indexes the
# student's labels by frequency and maps the teacher's argmax with
# class_map); a teacher trained on other ids needs model.teacher.label_map.
_base_ = [
    '../_base_/datasets/imagenetlt_bs64.py',
    './_base_/deit-lt_deit-b16_adamw-coslr.py',
]
teacher_name = 'ldam-drw-sam_r50_4xb64-90e_imagenetlt'
model = dict(
    head=dict(num_classes=1000),
    teacher=dict(
        config=f'{{fileDirname}}/teachers/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_90.pth'))

# images are loaded BGR; the data preprocessor converts them to RGB
bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
train_pipeline = [
    dict(type='LoadImageFromFile'),
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
            pad_val=[round(x) for x in bgr_mean], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=bgr_mean,
        fill_std=bgr_std),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
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
    sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(accumulative_counts=4)  # lr 5e-4 for 4 GPUs x 128
train_cfg = dict(max_epochs=1400)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_epoch=1200)]
# also the official hard-coded head/mid/tail (390 / 445 / 165 classes)
val_evaluator = dict(index_cutoffs=(390, 835))
test_evaluator = val_evaluator
