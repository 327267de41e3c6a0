# Copyright (c) mmlt contributors. All rights reserved.
from .expert_resnet import ExpertResNet, ExpertResNetCifar, ExpertResNeXt
from .expert_resnet_layers import ExpertConv2d, ExpertZeroPadShortcut
from .partial_finetune_vit import PartialFinetuneViT
from .resnet_cifar_lt import ResNet32Cifar, ZeroPadShortcut
from .se_resnet_apa import (AGLUSEBasicBlock, AGLUSEBottleneck, SEResNetAGLU,
                            SEResNetCifarAGLU, SEResNeXtAGLU)

__all__ = [
    'ResNet32Cifar', 'ZeroPadShortcut', 'ExpertResNetCifar', 'ExpertResNet',
    'ExpertResNeXt', 'ExpertConv2d', 'ExpertZeroPadShortcut',
    'AGLUSEBasicBlock', 'AGLUSEBottleneck', 'SEResNetAGLU',
    'SEResNetCifarAGLU', 'SEResNeXtAGLU', 'PartialFinetuneViT'
]
