# MDCS, CIFAR-10-LT IF100 (official config_cifar10_ir100_mdcs.json): the
# CIFAR-100-LT recipe (the same two views) on CIFAR-10-LT.
_base_ = './mdcs_r32_1xb64-400e_cifar100lt-if100.py'
data_preprocessor = dict(num_classes=10)
model = dict(head=dict(num_classes=10))
cifar10 = dict(type='CIFAR10LT', data_root='data/cifar10')
train_dataloader = dict(dataset=cifar10)
val_dataloader = dict(dataset=cifar10)
test_dataloader = val_dataloader
