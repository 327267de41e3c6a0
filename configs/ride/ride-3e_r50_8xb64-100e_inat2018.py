# RIDE stage 1, iNaturalist 2018, ResNet-50 with 3 experts: the recipe of
# _base_/ride-3e_r50_sgd-100e.py with the official
# config_iNaturalist_resnet50_ride.json changes (8 GPUs): SGD 0.2 for batch
# 512, DRW temperature gamma=0.015; RandomResizedCrop(224) + flip, iNat
# mean/std; the val list is the test set.
_base_ = [
    '../_base_/datasets/inat2018_bs64.py',
    './_base_/ride-3e_r50_sgd-100e.py',
]
model = dict(head=dict(num_classes=8142, loss=dict(reweight_factor=0.015)))
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
