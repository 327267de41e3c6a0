# SHIKE on ImageNet-LT, ResNet-50 (OUR recipe, see
# _base_/shike-3e_r50_sgd-200e.py; the official code covers CIFAR only):
# RandomResizedCrop(224) + flip + AutoAugment(ImageNet policy) + Cutout(16),
# the augmentation of the unofficial ImageNet-LT port (ACE-SHIKE).
_base_ = [
    '../_base_/datasets/imagenetlt_bs64.py',
    './_base_/shike-3e_r50_sgd-200e.py',
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies='imagenet',
        hparams=dict(pad_val=[104, 116, 124])),
    dict(type='Cutout', shape=16, pad_val=0, prob=1.),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
