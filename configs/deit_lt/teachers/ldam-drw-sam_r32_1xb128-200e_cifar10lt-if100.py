# LDAM-DRW + SAM teacher, CIFAR-10-LT IF100 (official: rho 0.8; teacher
# top-1 81.9 in the Saddle-LongTail README).
_base_ = './ldam-drw-sam_r32_1xb128-200e_cifar100lt-if100.py'
data_preprocessor = dict(num_classes=10)
model = dict(head=dict(num_classes=10))
cifar10 = dict(type='CIFAR10LT', data_root='data/cifar10')
train_dataloader = dict(dataset=cifar10)
val_dataloader = dict(dataset=cifar10)
test_dataloader = val_dataloader
