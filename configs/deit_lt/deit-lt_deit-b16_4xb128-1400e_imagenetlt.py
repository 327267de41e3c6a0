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

# the 224-px pipelines of image files (_base_/deit_pipelines.py: loaded BGR,
# the data preprocessor converts them to RGB)
train_pipeline = _base_.deit_file_train_pipeline
test_pipeline = _base_.deit_file_test_pipeline
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
