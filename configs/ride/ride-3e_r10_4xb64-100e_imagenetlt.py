# RIDE stage 1, ImageNet-LT, ResNet-10 (BasicBlock x [1, 1, 1, 1]) with 3
# experts (planes 192/384, 384-d features). Official
# config_imagenet_lt_resnet10_ride.json: 4 GPUs, global batch 256, otherwise
# the ResNet-50 recipe.
_base_ = './ride-3e_r50_8xb32-100e_imagenetlt.py'
model = dict(
    backbone=dict(type='ExpertResNet', depth=10), head=dict(in_channels=384))
train_dataloader = dict(batch_size=64)
