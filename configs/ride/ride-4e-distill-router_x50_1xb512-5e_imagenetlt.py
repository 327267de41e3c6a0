# RIDE stage 2 (expert-assignment router), ImageNet-LT, x50, on the
# ride-4e-distill stage-1 model (run it first): the recipe of
# ride-3e-router_x50_1xb512-5e_imagenetlt.py
# with 4 experts. The router stage never evaluates the stage-1 loss, so only
# the checkpoint and the number of experts differ.
_base_ = './ride-3e-router_x50_1xb512-5e_imagenetlt.py'
stage1_name = 'ride-4e-distill_x50_8xb32-100e_imagenetlt'
load_from = f'work_dirs/{stage1_name}/epoch_100.pth'
model = dict(
    backbone=dict(num_experts=4),
    head=dict(num_experts=4),
    router=dict(num_experts=4))
