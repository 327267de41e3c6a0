# CPU evidence run of DeiT-LT (not a paper recipe): a small distilled ViT
# (DeiT-Tiny width: embed 192, 3 heads; 6 blocks; patch 4 on 32x32 images:
# 64 patches + CLS + DIST) trained from scratch on CIFAR-10-LT IF100 with the
# DeiT-LT loss, distilled from the LDAM-DRW + SAM ResNet-32 teacher at 32 px
# (teachers/ldam-drw-sam_r32_1xb128-200e_cifar10lt-if100.py). Its plain-CE
# twin is ce_vit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py (everything else
# equal). One epoch (97 iterations of 128) takes about 1.5 min on 2 CPU
# threads. The length follows --cfg-options train_cfg.max_epochs=N: the
# cosine ends at N and the DRW switch is at 11/12 of N (DeiT-LT's 1100/1200).
# Short-run choices (README): lr 5e-4 at batch 128, 3 warm-up epochs,
# RandomCrop(32, 4) instead of the 224-px RandomResizedCrop, no repeated
# augmentation, CIFAR mean/std (the teacher's, so it sees its own inputs).
_base_ = [
    '../_base_/datasets/cifar10lt-if100_bs128.py',
    './_base_/deit-lt_deit-b16_adamw-coslr.py',
]
teacher_name = 'ldam-drw-sam_r32_1xb128-200e_cifar10lt-if100'
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=192,
            num_layers=6,
            num_heads=3,
            feedforward_channels=768),
        img_size=32,
        patch_size=4),
    head=dict(num_classes=10, in_channels=192),
    teacher=dict(
        config=f'{{fileDirname}}/teachers/{teacher_name}.py',
        checkpoint=f'work_dirs/{teacher_name}/epoch_200.pth',
        input_size=32))

# RandomCrop(32, 4) and the CIFAR mean/std (_base_/deit_pipelines.py)
train_pipeline = _base_.deit_32px_train_pipeline
train_dataloader = dict(
    batch_size=128, num_workers=2, dataset=dict(pipeline=train_pipeline))

lr = 5e-4
optim_wrapper = dict(optimizer=dict(lr=lr))
# the recipe's warm-up (from 1e-6 to this lr) and cosine, 3 warm-up epochs
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-6 / lr, end=3),
    dict(_base_.param_scheduler[1], begin=3),
]
auto_scale_lr = dict(base_batch_size=128)
train_cfg = dict(max_epochs=50, val_interval=5)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_ratio=11 / 12)]
val_evaluator = dict(index_cutoffs=(3, 7))
test_evaluator = val_evaluator
