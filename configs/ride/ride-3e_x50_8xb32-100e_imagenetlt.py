# RIDE stage 1, ImageNet-LT, ResNeXt-50 32x4d with 3 experts (planes 192/384,
# so grouped convs 384/768 wide; 1536-d features). Official
# config_imagenet_lt_resnext50_ride.json: the ResNet-50 recipe.
_base_ = './ride-3e_r50_8xb32-100e_imagenetlt.py'
model = dict(backbone=dict(type='ExpertResNeXt', groups=32, width_per_group=4))
