# RIDE stage 1 on Places-LT with an ImageNet-pretrained ResNet-152, 3 experts
# at full width (reduce_dimension=False): shared conv1-layer2, every expert's
# layer3/layer4 initialised from the same pretrained stage weights.
# The RIDE repository has no Places-LT config; SADE reports RIDE on Places-LT
# with ResNet-152 and trains its own Places models (config_places_lt_
# resnet152_sade.json) with: batch 128 on 4 GPUs, SGD 0.01 for the
# classifiers and 0.001 (share_lr) for the whole backbone, Nesterov, wd 4e-4,
# 30 epochs, x0.1 at epochs 10 and 20, no warm-up. We use that recipe with
# the RIDE loss (lambda=-0.2, gamma=0.02 as on ImageNet-LT); the DRW epoch is
# OUR CHOICE (after the last lr step, epoch 21, as RIDE's ImageNet-LT/iNat
# configs do), not an official value.
# The pretrained weights are torchvision-style (mmpretrain resnet152_8xb32_
# in1k); the official MDCS/SADE models load OLTR's caffe ResNet-152.
_base_ = [
    '../_base_/datasets/placeslt_bs64.py',
    './_base_/ride-3e_r50_sgd-100e.py',
]
pretrained = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
              'resnet152_8xb32_in1k_20210901-4d7582fa.pth')
model = dict(
    backbone=dict(
        depth=152,
        reduce_dimension=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    head=dict(num_classes=365, in_channels=2048))
train_dataloader = dict(batch_size=32)

optim_wrapper = dict(
    optimizer=dict(lr=0.01, weight_decay=4e-4),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 20], gamma=0.1),
]
train_cfg = dict(max_epochs=30, val_interval=5)
auto_scale_lr = dict(base_batch_size=128)
# DRW from epoch 21: our choice, see above
custom_hooks = [dict(type='DeferredReweightingHook', start_epoch=20)]
