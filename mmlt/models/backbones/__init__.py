# Copyright (c) mmlt contributors. All rights reserved.
from .resnet_cifar_lt import ResNet32Cifar, ZeroPadShortcut
from .se_resnet_apa import (AGLUSEBasicBlock, AGLUSEBottleneck, SEResNetAGLU,
                            SEResNetCifarAGLU, SEResNeXtAGLU)

__all__ = [
    'ResNet32Cifar', 'ZeroPadShortcut', 'AGLUSEBasicBlock',
    'AGLUSEBottleneck', 'SEResNetAGLU', 'SEResNetCifarAGLU', 'SEResNeXtAGLU'
]
