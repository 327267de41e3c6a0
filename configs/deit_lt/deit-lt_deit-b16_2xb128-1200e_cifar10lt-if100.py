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

# timm's ImageNet mean/std and the 224-px pipelines of arrays
# (_base_/deit_pipelines.py; CIFAR arrays are RGB)
data_preprocessor = dict(
    mean=_base_.imagenet_mean, std=_base_.imagenet_std, to_rgb=False)
train_pipeline = _base_.deit_train_pipeline
test_pipeline = _base_.deit_test_pipeline
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
# the recipe's warm-up (from 1e-6 to this lr) and cosine
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / lr),
    _base_.param_scheduler[1],
]
auto_scale_lr = dict(base_batch_size=256)  # 2 GPUs x 128
train_cfg = dict(max_epochs=1200)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_epoch=1100)]
# also the official hard-coded head/mid/tail: classes 0-2 / 3-6 / 7-9
val_evaluator = dict(index_cutoffs=(3, 7))
test_evaluator = val_evaluator
