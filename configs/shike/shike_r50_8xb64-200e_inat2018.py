# SHIKE on iNaturalist 2018, ResNet-50 (OUR recipe, see
# _base_/shike-3e_r50_sgd-200e.py): batch 512 at lr 0.2, the ImageNet-LT
# augmentation with the iNat normalisation.
_base_ = [
    '../_base_/datasets/inat2018_bs64.py',
    './_base_/shike-3e_r50_sgd-200e.py',
]
model = dict(head=dict(num_classes=8142))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies='imagenet',
        hparams=dict(pad_val=[97, 120, 119])),
    dict(type='Cutout', shape=16, pad_val=0, prob=1.),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
