# Copyright (c) mmlt contributors. All rights reserved.
from .depthwise_fusion import DepthwiseFusion
from .expert_branch_mixin import ExpertBranchMixin
from .expert_resnet import ExpertResNet
from .expert_resnet_cifar import ExpertResNetCifar
from .expert_resnext import ExpertResNeXt
from .expert_se_resnet_cifar_aglu import ExpertSEResNetCifarAGLU
from .fast_distilled_vision_transformer import FastDistilledVisionTransformer
from .fast_vision_transformer import FastVisionTransformer, use_fast_vit_layers
from .metafg import MetaFG, MetaFGAttentionStage
from .partial_finetune_vit import PartialFinetuneViT
from .resnet32_cifar import ResNet32Cifar, ZeroPadShortcut
from .se_resnet_apa import (AGLUSEBasicBlock, AGLUSEBottleneck, SEResNetAGLU,
                            SEResNetCifarAGLU, SEResNeXtAGLU)

__all__ = [
    'ResNet32Cifar', 'ZeroPadShortcut', 'ExpertBranchMixin', 'DepthwiseFusion',
    'ExpertResNetCifar', 'ExpertResNet', 'ExpertResNeXt',
    'ExpertSEResNetCifarAGLU', 'AGLUSEBasicBlock', 'AGLUSEBottleneck',
    'SEResNetAGLU', 'SEResNetCifarAGLU', 'SEResNeXtAGLU', 'MetaFG',
    'MetaFGAttentionStage', 'PartialFinetuneViT', 'FastVisionTransformer',
    'FastDistilledVisionTransformer', 'use_fast_vit_layers'
]
