# RIDE (Wang et al., ICLR 2021), stage 1, ImageNet-LT, ResNet-50 with 3
# experts: the recipe of _base_/ride-3e_r50_sgd-100e.py (official
# config_imagenet_lt_resnet50_ride.json, 8 GPUs, global batch 256);
# RandomResizedCrop(224), flip, ColorJitter(0.4, 0.4, 0.4).
_base_ = [
    '../_base_/datasets/imagenetlt_bs64.py',
    './_base_/ride-3e_r50_sgd-100e.py',
]
train_dataloader = dict(batch_size=32)
