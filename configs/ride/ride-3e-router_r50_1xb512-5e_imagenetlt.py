# RIDE stage 2 (expert-assignment router), ImageNet-LT, r50, on the
# ride-3e stage-1 model (run it first): the recipe of
# _base_/ride-3e-router_r50_sgd-5e.py with batch 512 on 1 GPU and
# class-balanced sampling (official *_ride_ea.json).
_base_ = [
    '../_base_/datasets/imagenetlt_bs64.py',
    './_base_/ride-3e-router_r50_sgd-5e.py',
]
stage1_name = 'ride-3e_r50_8xb32-100e_imagenetlt'
load_from = f'work_dirs/{stage1_name}/epoch_100.pth'
train_dataloader = dict(
    batch_size=512, sampler=dict(_delete_=True, type='ClassBalancedSampler'))
