# MDCS, CIFAR-100-LT IF50 (official config_cifar100_ir50_mdcs.json): the
# IF100 recipe.
_base_ = './mdcs_r32_1xb64-400e_cifar100lt-if100.py'
train_dataloader = dict(dataset=dict(imb_factor=50))
