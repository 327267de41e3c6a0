# MDCS, CIFAR-100-LT IF100, the 200-epoch schedule the official config
# comments give (x0.1 at epochs 160 and 180); otherwise the 400-epoch recipe.
_base_ = './mdcs_r32_1xb64-400e_cifar100lt-if100.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=True, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, milestones=[160, 180], gamma=0.1),
]
train_cfg = dict(max_epochs=200)
