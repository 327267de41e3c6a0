# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

from mmlt.registry import MODELS
from .expert_branch_mixin import ExpertBranchMixin
from .resnet32_cifar import ResNet32Cifar


@MODELS.register_module()
class ExpertResNetCifar(ExpertBranchMixin, ResNet32Cifar):
    """CIFAR ResNet (ResNet-32 by default) with shared stem + first stage(s)
    and K expert copies of the remaining stages.

    - RIDE / MDCS: option-A shortcuts, ``num_shared_stages=1`` and
      ``reduce_dimension=True`` (expert stages of 24 / 48 channels instead
      of 32 / 64, so that a 2-expert model costs fewer FLOPs than the plain
      ResNet-32).
    - SHIKE: option-B shortcuts, ``num_shared_stages=2``, full width, and
      ``fusion=dict(taps=('layer1', 'layer2', 'layer1'))`` (depth-wise
      knowledge fusion, :class:`DepthwiseFusion`).

    Args:
        num_experts (int): Number of experts K. Defaults to 3.
        depth (int): 20, 32, 44, 56 or 110. Defaults to 32.
        shortcut (str): ``'A'`` (RIDE/MDCS) or ``'B'`` (SHIKE). Defaults to
            ``'A'``.
        reduce_dimension (bool): 3/4-width expert stages. Defaults to True.
        num_shared_stages (int): Shared stages (1 or 2). Defaults to 1.
        expert_planes (Sequence[int], optional): Explicit expert widths.
        fusion (dict, optional): Arguments of :class:`DepthwiseFusion`
            (``taps``, ``relu_except``). Defaults to None.
        channels_last (bool): Run in channels-last memory format.
            Defaults to True.
        **kwargs: Other arguments of :class:`ResNet32Cifar`.
    """

    def __init__(self,
                 num_experts: int = 3,
                 depth: int = 32,
                 shortcut: str = 'A',
                 reduce_dimension: bool = True,
                 num_shared_stages: int = 1,
                 expert_planes: Optional[Sequence[int]] = None,
                 fusion: Optional[dict] = None,
                 channels_last: bool = True,
                 **kwargs):
        self._setup_experts(num_experts, num_shared_stages, expert_planes,
                            reduce_dimension, channels_last, 3, fusion)
        super().__init__(depth=depth, shortcut=shortcut, **kwargs)
        self._finish_experts()
