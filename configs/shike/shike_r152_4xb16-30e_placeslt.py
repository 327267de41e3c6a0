# SHIKE on Places-LT from an ImageNet-pretrained ResNet-152 (OUR recipe: the
# official code covers CIFAR only). Shared through layer3, one layer4 per
# expert (each initialised from the pretrained layer4), depth-wise fusion
# from layer1/2/3; the Places-LT schedule of RIDE/MDCS (SGD 0.01 for the
# classifiers and 0.001 for the backbone, wd 4e-4, batch 64) with 27 DKT
# epochs (x0.1 at epochs 10 and 20) and 3 epochs of classifier re-training
# with Balanced Softmax.
_base_ = [
    '../_base_/datasets/placeslt_bs64.py',
    './_base_/shike-3e_r50_sgd-200e.py',
]
pretrained = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
              'resnet152_8xb32_in1k_20210901-4d7582fa.pth')
model = dict(
    backbone=dict(
        depth=152,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    head=dict(num_classes=365))
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
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    optimizer=dict(lr=0.01, weight_decay=4e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 20], gamma=0.1),
]
train_cfg = dict(max_epochs=30, val_interval=5)
auto_scale_lr = dict(base_batch_size=64)
custom_hooks = [
    dict(
        type='ClassifierRetrainingHook',
        start_epoch=27,
        trainable=('head.rt_classifiers', ))
]
