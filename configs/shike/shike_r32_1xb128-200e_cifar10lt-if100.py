# SHIKE, CIFAR-10-LT IF100: the CIFAR-100-LT recipe on CIFAR-10-LT (no
# official config).
_base_ = './shike_r32_1xb128-200e_cifar100lt-if100.py'
data_preprocessor = dict(num_classes=10)
model = dict(head=dict(num_classes=10))
cifar10 = dict(type='CIFAR10LT', data_root='data/cifar10')
train_dataloader = dict(dataset=cifar10)
val_dataloader = dict(dataset=cifar10)
test_dataloader = val_dataloader
