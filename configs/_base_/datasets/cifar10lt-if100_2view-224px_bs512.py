# CIFAR-10-LT IF100 (12,406 train images) for clustering at 224 px, same
# views and protocol as the CIFAR-100-LT base.
_base_ = './cifar100lt-if100_2view-224px_bs512.py'
dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'
num_classes = 10
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_evaluator = dict(num_classes=num_classes)
test_dataloader = val_dataloader
test_evaluator = val_evaluator
