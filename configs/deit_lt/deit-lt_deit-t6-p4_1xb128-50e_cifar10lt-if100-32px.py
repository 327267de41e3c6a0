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

mean = [125.307, 122.961, 113.8575]  # the CIFAR base's (RGB arrays)
std = [51.5865, 50.847, 51.255]
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
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
train_dataloader = dict(
    batch_size=128, num_workers=2, dataset=dict(pipeline=train_pipeline))

lr = 5e-4
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6 / lr,
        by_epoch=True,
        begin=0,
        end=3,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=3,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=128)
train_cfg = dict(max_epochs=50, val_interval=5)
custom_hooks = [dict(type='DRWSwitchRecipeHook', start_ratio=11 / 12)]
val_evaluator = dict(index_cutoffs=(3, 7))
test_evaluator = val_evaluator
