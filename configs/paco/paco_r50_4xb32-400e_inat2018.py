# PaCo on iNaturalist 2018 with ResNet-50, the official recipe
# (PaCo/LT/sh/Inat_train_R50.sh, paco_lt.py --dataset inat): the ImageNet-LT
# model with 8142 classes, wd 1e-4, the same views (--aug randcls_sim; the
# RandAugment fill stays the ImageNet mean, as officially), iNat
# normalisation, total batch 128 (4 GPUs x 32), SGD 0.02, 400 epochs.
_base_ = [
    '../_base_/datasets/inat2018_bs64.py',
    '../_base_/default_runtime.py',
    './_base_/paco_r50.py',
    './_base_/imagenet_views.py',
]

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')
model = dict(head=dict(num_classes=8142))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[{{_base_.paco_randcls_view}}, {{_base_.paco_sim_view}}]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32, drop_last=True, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
