# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.backbones import ResNet_CIFAR
from mmpretrain.models.backbones.resnet import BasicBlock, ResLayer

from mmlt.registry import MODELS


class ZeroPadShortcut(nn.Module):
    """Option-A shortcut: subsample spatially and zero-pad the channels
    (He et al., 2016; the CIFAR ResNets of LDAM-DRW, RIDE and MDCS)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError('Option-A shortcuts cannot reduce channels '
                             f'({in_channels} -> {out_channels}).')
        self.stride = stride
        self.pad_front = (out_channels - in_channels) // 2
        self.pad_back = out_channels - in_channels - self.pad_front

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad_front, self.pad_back))


@MODELS.register_module()
class ResNet32Cifar(ResNet_CIFAR):
    """The CIFAR ResNet family of the long-tailed literature (ResNet-32 by
    default): a 3x3 stem of 16 channels and 3 stages of BasicBlocks with
    16/32/64 channels and ``(depth - 2) / 6`` blocks each.

    Built on mmpretrain's :class:`ResNet_CIFAR` (stem, freezing, ``norm_eval``
    and outputs are inherited); only the stage layout and the shortcut type
    differ:

    - ``shortcut='A'``: parameter-free zero-padding shortcut, as in LDAM-DRW,
      RIDE and MDCS;
    - ``shortcut='B'``: 1x1 conv + BN projection, as in SHIKE.

    Args:
        depth (int): 20, 32, 44, 56 or 110. Defaults to 32.
        shortcut (str): ``'A'`` or ``'B'``. Defaults to ``'A'``.
        base_channels (int): Channels of the stem and first stage.
            Defaults to 16.
        out_indices (Sequence[int]): Stages to output. Defaults to ``(2, )``.
        zero_init_residual (bool): Defaults to False (as the official code).
        channels_last (bool): Keep weights and activations in channels-last
            memory format (same results; about 1.25x faster training on our
            2-core CPU, see ``benchmarks/ride_throughput.py``). Defaults to
            True.
        init_cfg: Defaults to Kaiming-normal (fan_in) convs, as LDAM-DRW.
        **kwargs: Other arguments of :class:`mmpretrain.models.ResNet`
            (``frozen_stages``, ``norm_eval``, ``norm_cfg``, ...).
    """
    arch_settings = {
        depth: (BasicBlock, ((depth - 2) // 6, ) * 3)
        for depth in (20, 32, 44, 56, 110)
    }

    def __init__(self,
                 depth: int = 32,
                 shortcut: str = 'A',
                 base_channels: int = 16,
                 out_indices=(2, ),
                 zero_init_residual: bool = False,
                 channels_last: bool = True,
                 init_cfg=[
                     dict(type='Kaiming', layer=['Conv2d'], mode='fan_in'),
                     dict(type='Constant', val=1, layer=['_BatchNorm'])
                 ],
                 **kwargs):
        if shortcut not in ('A', 'B'):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}.")
        if depth not in self.arch_settings:
            raise ValueError(f'depth must be one of '
                             f'{sorted(self.arch_settings)}, got {depth}.')
        self.shortcut = shortcut
        super().__init__(
            depth,
            stem_channels=base_channels,
            base_channels=base_channels,
            num_stages=3,
            strides=(1, 2, 2),
            dilations=(1, 1, 1),
            out_indices=out_indices,
            zero_init_residual=zero_init_residual,
            init_cfg=init_cfg,
            **kwargs)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor):
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return super().forward(x)

    def make_res_layer(self, **kwargs) -> nn.Module:
        layer = ResLayer(**kwargs)
        if self.shortcut == 'A' and layer[0].downsample is not None:
            layer[0].downsample = ZeroPadShortcut(kwargs['in_channels'],
                                                  kwargs['out_channels'],
                                                  kwargs.get('stride', 1))
        return layer
