# PaCo (Cui et al., ICCV 2021) on CIFAR-100-LT IF100 with ResNet-32, the
# official recipe (PaCo/LT/sh/CIFAR100_train_imb0.01.sh, paco_cifar.py; the
# DeiT-LT teacher shape): the CIFAR ResNet-32 (option-A shortcuts), global
# average pooling to the 64-d features of the linear classifier (the class
# centres), the MoCo v2 MLP 64-64(BN, ReLU)-32 (--mlp, --moco-dim 32),
# momentum key encoder (--moco-m 0.999: momentum=0.001, the default), queue
# 1024 (--moco-k), T 0.05 (--moco-t), alpha 0.01, beta = gamma = 1, loss on
# logit-adjusted class logits.
# Two views (--aug cifar100): the query view RandomCrop(32, 4) + flip +
# AutoAugment (CIFAR10Policy) + Cutout(16); the key view SimCLR-style
# RandomResizedCrop(32, scale (0.2, 1)) + flip + ColorJitter(0.4, 0.4, 0.4,
# 0.1) p=0.8 + grayscale p=0.2 + Gaussian blur sigma U(0.1, 2) p=0.5.
# Recipe: SGD 0.05, momentum 0.9, wd 5e-4 on every parameter, batch 128 on
# one GPU, 400 epochs: warm-up lr * (e + 1) / 10 for epochs 0-9, x0.1 from
# epoch 321 and again from 361 (0-based). The official warm-up runs one
# epoch longer (epoch <= 10), its last epoch at 1.1 x lr: see README.md.
_base_ = [
    '../_base_/datasets/cifar100lt-if100_bs128.py',
    '../_base_/default_runtime.py',
    '../_base_/pipelines/autoaugment_cifar10.py',
    './_base_/paco_r50.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
# the PaCo model of _base_/paco_r50.py at the CIFAR sizes
model = dict(
    backbone=dict(_delete_=True, type='ResNet32Cifar', depth=32, shortcut='A'),
    projector=dict(in_channels=64, out_channels=32),
    head=dict(
        num_classes=100,
        in_channels=64,
        loss=dict(alpha=0.01, temperature=0.05)),
    queue_len=1024,
    feat_dim=32)

# near the top / left borders mmcv's Cutout shifts its 16-pixel hole inside
# the image where the official one (torch tensor code) clips it
query_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    _base_.cifar10_autoaugment_pil,
    dict(type='Cutout', shape=16, pad_val=0, prob=1.),
]
key_view = [
    dict(
        type='RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # torchvision's ColorJitter, as officially (mmcv's hue jitter fails
    # under numpy 2 for negative hue factors)
    dict(
        type='RandomApply',
        transforms=[
            dict(type='NumpyToPIL'),
            dict(
                type='torchvision/ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1),
            dict(type='PILToNumpy'),
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.299, 0.587, 0.114)),  # CIFAR arrays are RGB
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
train_pipeline = [
    dict(
        type='MultiView', num_views=[1, 1], transforms=[query_view, key_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128, drop_last=True, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [
    _base_.param_scheduler[0],  # lr * (e + 1) / 10 for epochs e = 0..9
    dict(type='MultiStepLR', by_epoch=True, milestones=[321, 361], gamma=0.1),
]
