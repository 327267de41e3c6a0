# Copyright (c) mmlt contributors. All rights reserved.
"""ResNets with a shared stem and K expert branches (RIDE, SADE, MDCS).

Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.
"""
from mmpretrain.models.backbones import ResNet, ResNeXt
from mmpretrain.models.backbones.resnet import BasicBlock

from mmlt.registry import MODELS
from .expert_resnet_layers import ExpertZeroPadShortcut
from .expert_resnet_mixin import ExpertBranchMixin
from .resnet_cifar_lt import ResNet32Cifar


@MODELS.register_module()
class ExpertResNetCifar(ExpertBranchMixin, ResNet32Cifar):
    """CIFAR ResNet (ResNet-32 by default) with a shared stem + first stage
    and K expert copies of the last two stages (RIDE / MDCS).

    With ``reduce_dimension=True`` (RIDE's default) the expert stages have
    24 / 48 channels instead of 32 / 64, so a 2-expert model costs fewer
    FLOPs than the plain ResNet-32. Option-A shortcuts pad each expert
    separately (:class:`ExpertZeroPadShortcut`).

    Args:
        num_experts (int): Number of experts K. Defaults to 3.
        depth (int): 20, 32, 44, 56 or 110. Defaults to 32.
        shortcut (str): ``'A'`` (RIDE/MDCS) or ``'B'``. Defaults to ``'A'``.
        reduce_dimension (bool): 3/4-width expert stages. Defaults to True.
        num_shared_stages (int): Shared stages (1 or 2). Defaults to 1.
        expert_planes (Sequence[int], optional): Explicit expert widths.
        expert_mode (str): ``'per_expert'`` or ``'grouped'``.
        channels_last (bool): Run in channels-last memory format.
            Defaults to True.
        **kwargs: Other arguments of :class:`ResNet32Cifar`.
    """

    def __init__(self, num_experts: int = 3, depth: int = 32,
                 shortcut: str = 'A', reduce_dimension: bool = True,
                 num_shared_stages: int = 1, expert_planes=None,
                 expert_mode: str = 'per_expert', channels_last: bool = True,
                 **kwargs):
        self._setup_experts(num_experts, num_shared_stages, expert_planes,
                            reduce_dimension, expert_mode, channels_last, 3)
        super().__init__(depth=depth, shortcut=shortcut, **kwargs)
        self._finish_experts()

    def _make_expert_shortcut(self, downsample, in_channels, out_channels,
                              stride, num_experts, shared_input):
        if self.shortcut == 'A':
            return ExpertZeroPadShortcut(in_channels, out_channels, stride,
                                         num_experts, shared_input)
        return super()._make_expert_shortcut(downsample, in_channels,
                                             out_channels, stride,
                                             num_experts, shared_input)


@MODELS.register_module()
class ExpertResNet(ExpertBranchMixin, ResNet):
    """ImageNet ResNet (10/18/34/50/101/152) with shared ``conv1``-``layer2``
    and K expert copies of ``layer3``/``layer4`` (RIDE; ResNet-152 for
    Places-LT as SADE/MDCS).

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
        expert_mode (str): ``'per_expert'`` or ``'grouped'``.
        channels_last (bool): Run in channels-last memory format.
            Defaults to True.
        zero_init_residual (bool): Defaults to False (as RIDE).
        **kwargs: Other arguments of :class:`mmpretrain.models.ResNet`.
    """
    arch_settings = {**ResNet.arch_settings, 10: (BasicBlock, (1, 1, 1, 1))}

    def __init__(self, depth: int, num_experts: int = 3,
                 reduce_dimension: bool = True, num_shared_stages: int = 2,
                 expert_planes=None, expert_mode: str = 'per_expert',
                 channels_last: bool = True, zero_init_residual: bool = False,
                 **kwargs):
        self._setup_experts(num_experts, num_shared_stages, expert_planes,
                            reduce_dimension, expert_mode, channels_last,
                            kwargs.get('num_stages', 4))
        super().__init__(depth, zero_init_residual=zero_init_residual,
                         **kwargs)
        self._finish_experts()


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

    def __init__(self, depth: int = 50, num_experts: int = 3,
                 reduce_dimension: bool = True, num_shared_stages: int = 2,
                 expert_planes=None, expert_mode: str = 'per_expert',
                 channels_last: bool = True, zero_init_residual: bool = False,
                 groups: int = 32, width_per_group: int = 4, **kwargs):
        self._setup_experts(num_experts, num_shared_stages, expert_planes,
                            reduce_dimension, expert_mode, channels_last,
                            kwargs.get('num_stages', 4))
        super().__init__(depth, groups=groups,
                         width_per_group=width_per_group,
                         zero_init_residual=zero_init_residual, **kwargs)
        self._finish_experts()
