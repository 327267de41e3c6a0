# RIDE stage 2 (expert-assignment router), iNaturalist 2018, ResNet-50, on
# the ride-3e stage-1 model (run it first): the recipe of
# _base_/ride-3e-router_r50_sgd-5e.py with batch 512 and class-balanced
# sampling (official config_iNaturalist_resnet50_ride_ea.json).
_base_ = [
    '../_base_/datasets/inat2018_bs64.py',
    './_base_/ride-3e-router_r50_sgd-5e.py',
]
stage1_name = 'ride-3e_r50_8xb64-100e_inat2018'
load_from = f'work_dirs/{stage1_name}/epoch_100.pth'
model = dict(
    head=dict(num_classes=8142, loss=dict(reweight_factor=0.015)),
    router=dict(num_classes=8142))
train_dataloader = dict(
    batch_size=512, sampler=dict(_delete_=True, type='ClassBalancedSampler'))
