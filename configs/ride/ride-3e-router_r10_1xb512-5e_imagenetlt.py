# RIDE stage 2 (expert-assignment router), ImageNet-LT, r10, on the
# ride-3e stage-1 model (run it first): the recipe of
# ride-3e-router_r50_1xb512-5e_imagenetlt.py with the official ResNet-10
# router input (top-30 mean logits).
_base_ = './ride-3e-router_r50_1xb512-5e_imagenetlt.py'
stage1_name = 'ride-3e_r10_4xb64-100e_imagenetlt'
load_from = f'work_dirs/{stage1_name}/epoch_100.pth'
model = dict(
    backbone=dict(depth=10),
    head=dict(in_channels=384),
    router=dict(in_channels=384, top_choices=30))
