# RIDE stage 2 (expert-assignment router), ImageNet-LT, x50, on the
# ride-3e stage-1 model (run it first): the recipe of
# ride-3e-router_r50_1xb512-5e_imagenetlt.py.
_base_ = './ride-3e-router_r50_1xb512-5e_imagenetlt.py'
stage1_name = 'ride-3e_x50_8xb32-100e_imagenetlt'
load_from = f'work_dirs/{stage1_name}/epoch_100.pth'
model = dict(backbone=dict(type='ExpertResNeXt', groups=32, width_per_group=4))
