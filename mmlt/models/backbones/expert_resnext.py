# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

from mmpretrain.models.backbones import ResNeXt

from mmlt.registry import MODELS
from .expert_branch_mixin import ExpertBranchMixin


@MODELS.register_module()
class ExpertResNeXt(ExpertBranchMixin, ResNeXt):
    """ResNeXt (50 32x4d by default) with shared ``conv1``-``layer2`` and K
    expert copies of ``layer3``/``layer4`` (RIDE on ImageNet-LT).

    With ``reduce_dimension=True`` the expert stages use planes 192/384, so
    their grouped convs are 384/768 wide.

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        groups (int): Cardinality. Defaults to 32.
        width_per_group (int): Defaults to 4.
        Others as :class:`ExpertResNet`.
    """

    def __init__(self,
                 depth: int = 50,
                 num_experts: int = 3,
                 reduce_dimension: bool = True,
                 num_shared_stages: int = 2,
                 expert_planes: Optional[Sequence[int]] = None,
                 fusion: Optional[dict] = None,
                 channels_last: bool = True,
                 zero_init_residual: bool = False,
                 groups: int = 32,
                 width_per_group: int = 4,
                 **kwargs):
        self._setup_experts(num_experts, num_shared_stages, expert_planes,
                            reduce_dimension, channels_last,
                            kwargs.get('num_stages', 4), fusion)
        super().__init__(
            depth,
            groups=groups,
            width_per_group=width_per_group,
            zero_init_residual=zero_init_residual,
            **kwargs)
        self._finish_experts()
