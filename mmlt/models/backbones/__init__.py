# Copyright (c) mmlt contributors. All rights reserved.
from .resnet_cifar_lt import ResNet32Cifar, ZeroPadShortcut

__all__ = ['ResNet32Cifar', 'ZeroPadShortcut']
