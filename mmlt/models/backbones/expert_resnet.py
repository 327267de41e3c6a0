# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

from mmpretrain.models.backbones import ResNet
from mmpretrain.models.backbones.resnet import BasicBlock

from mmlt.registry import MODELS
from .expert_branch_mixin import ExpertBranchMixin


@MODELS.register_module()
class ExpertResNet(ExpertBranchMixin, ResNet):
    """ImageNet ResNet (10/18/34/50/101/152) with shared ``conv1``-``layer2``
    and K expert copies of ``layer3``/``layer4`` (RIDE; ResNet-152 for
    Places-LT as SADE/MDCS), or shared ``conv1``-``layer3`` and per-expert
    ``layer4`` with depth-wise fusion (SHIKE: ``num_shared_stages=3,
    fusion=dict(taps=('layer1', 'layer2', 'layer3'))``).

    ``reduce_dimension=True`` uses planes 192/384 instead of 256/512 in the
    expert stages. ResNet-10 is BasicBlock x [1, 1, 1, 1] as in OLTR/RIDE.
    A ``Pretrained`` ``init_cfg`` initialises the shared stages and every
    expert from one single-branch checkpoint.

    Args:
        depth (int): 10, 18, 34, 50, 101 or 152.
        num_experts (int): Number of experts K. Defaults to 3.
        reduce_dimension (bool): 3/4-width expert stages. Defaults to True.
        num_shared_stages (int): Shared stages: 2 (RIDE) or 3
            (``share_layer3``). Defaults to 2.
        expert_planes (Sequence[int], optional): Explicit expert widths.
        fusion (dict, optional): Arguments of :class:`DepthwiseFusion`.
        channels_last (bool): Run in channels-last memory format.
            Defaults to True.
        zero_init_residual (bool): Defaults to False (as RIDE).
        **kwargs: Other arguments of :class:`mmpretrain.models.ResNet`.
    """
    arch_settings = {**ResNet.arch_settings, 10: (BasicBlock, (1, 1, 1, 1))}

    def __init__(self,
                 depth: int,
                 num_experts: int = 3,
                 reduce_dimension: bool = True,
                 num_shared_stages: int = 2,
                 expert_planes: Optional[Sequence[int]] = None,
                 fusion: Optional[dict] = None,
                 channels_last: bool = True,
                 zero_init_residual: bool = False,
                 **kwargs):
        self._setup_experts(num_experts, num_shared_stages, expert_planes,
                            reduce_dimension, channels_last,
                            kwargs.get('num_stages', 4), fusion)
        super().__init__(
            depth, zero_init_residual=zero_init_residual, **kwargs)
        self._finish_experts()
