# PaCo on CIFAR-10-LT IF100, ResNet-32: the CIFAR-100-LT recipe with 10
# classes (the DeiT-LT CIFAR-10 teacher shape). The official paco_cifar.py
# trains CIFAR-100 only (ImbalanceCIFAR100 is hard-coded): this transfer of
# its recipe is OUR CHOICE, not an official configuration.
_base_ = ['./paco_r32_1xb128-400e_cifar100lt-if100.py']

dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'
data_preprocessor = dict(num_classes=10)
model = dict(head=dict(num_classes=10))
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
