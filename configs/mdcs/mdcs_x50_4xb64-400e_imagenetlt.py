# MDCS on ImageNet-LT with ResNeXt-50 32x4d (official
# config_imagenet_lt_resnext50_mdcs_e400.json): the ResNet-50 recipe.
_base_ = './mdcs_r50_4xb64-400e_imagenetlt.py'
model = dict(backbone=dict(type='ExpertResNeXt', groups=32, width_per_group=4))
