# Plain cross-entropy baseline, ResNet-32, CIFAR-100-LT IF100.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar100lt-if100_bs128.py',
    '../_base_/schedules/cifar_lt_sgd-steplr-200e.py',
    '../_base_/default_runtime.py',
]
