# MDCS, CIFAR-10-LT IF50 (official config_cifar10_ir50_mdcs.json).
_base_ = './mdcs_r32_1xb64-400e_cifar10lt-if100.py'
train_dataloader = dict(dataset=dict(imb_factor=50))
