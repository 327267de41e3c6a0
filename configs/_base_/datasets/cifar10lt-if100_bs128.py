# CIFAR-10-LT IF100 (12,406 train images). data_root holds
# cifar-10-batches-py/ or train/<class>/*.jpg + test/<class>/*.jpg.
_base_ = './cifar100lt-if100_bs128.py'
dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'
data_preprocessor = dict(num_classes=10)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
