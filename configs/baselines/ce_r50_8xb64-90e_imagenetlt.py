# Plain cross-entropy baseline, ResNet-50, ImageNet-LT (Decoupling joint).
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenetlt_bs64.py',
    '../_base_/schedules/imagenet_lt_sgd-coslr-90e.py',
    '../_base_/default_runtime.py',
]
