# LDAM-DRW + SAM teacher, ResNet-50 on iNaturalist 2018 (official: batch 256,
# SGD 0.1 cosine, wd 1e-4, LDAM margin 0.3, DRW from epoch 61, rho 0.05 /
# 0.1 / 0.5 as on ImageNet-LT; teacher top-1 70.1). The data of
# ../../_base_/datasets/inat2018_bs64.py (no colour jitter, iNat mean/std).
_base_ = './ldam-drw-sam_r50_4xb64-90e_imagenetlt.py'
inat = dict(type='INat2018', data_root='data/inat2018')
data_preprocessor = dict(
    num_classes=8142, mean=[118.83, 120.105, 96.9], std=[49.725, 49.47, 48.96])
model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=1e-4))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        inat, ann_file='iNaturalist18_train.txt', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(inat, ann_file='iNaturalist18_val.txt'))
test_dataloader = val_dataloader
