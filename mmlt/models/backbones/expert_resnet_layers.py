# Copyright (c) mmlt contributors. All rights reserved.
"""Building blocks of the "shared stem + K expert branches" ResNets.

The K expert branches of a stage are stored *fused*: one mmpretrain
``ResLayer`` whose channels are the K experts' channels concatenated
(expert-major) and whose convolutions are grouped so that expert ``k`` only
sees its own channels. Every parameter and buffer of a fused layer is
therefore the concatenation of the K per-expert tensors along dim 0, so the
tensors of expert ``k`` are the ``k``-th of ``K`` equal chunks.
"""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['ExpertConv2d', 'ExpertZeroPadShortcut', 'expert_chunk',
           'expert_state']


class ExpertConv2d(nn.Conv2d):
    """``nn.Conv2d`` whose ``groups`` is multiplied by ``num_experts``.

    Used as ``conv_cfg=dict(type=ExpertConv2d, num_experts=K)`` for the
    mmpretrain blocks of a fused expert stage: channels passed in are already
    ``K`` times a single expert's, and the extra grouping keeps the experts
    independent (a ResNeXt conv with ``groups=32`` becomes ``32 * K``).

    Args:
        num_experts (int): Number of fused experts ``K``.
        groups (int): Groups of one expert's convolution. Defaults to 1.
        *args, **kwargs: Other arguments of :class:`torch.nn.Conv2d`.
    """

    def __init__(self, *args, num_experts: int = 1, groups: int = 1,
                 **kwargs):
        super().__init__(*args, groups=groups * num_experts, **kwargs)
        self.num_experts = num_experts


class ExpertZeroPadShortcut(nn.Module):
    """Option-A shortcut (subsample + zero-pad channels, He et al. 2016) for
    ``K`` fused experts.

    With ``shared_input=True`` the input is the shared feature map
    (``in_channels`` channels) and the padded map is repeated for every
    expert; otherwise the input holds ``K`` experts' maps of ``in_channels``
    channels each and every expert is padded separately (``(out - in) // 2``
    zero channels in front, the rest behind, as the LDAM/RIDE ResNet-32).
    The memory format (NCHW or channels-last) of the input is kept.

    Args:
        in_channels (int): Input channels of one expert.
        out_channels (int): Output channels of one expert.
        stride (int): Spatial subsampling.
        num_experts (int): Number of fused experts. Defaults to 1.
        shared_input (bool): Whether the input is shared by all experts.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 num_experts: int = 1, shared_input: bool = False):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError('Option-A shortcuts cannot reduce channels '
                             f'({in_channels} -> {out_channels}).')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.num_experts = num_experts
        self.shared_input = shared_input
        self.pad_front = (out_channels - in_channels) // 2
        self.pad_back = out_channels - in_channels - self.pad_front

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels_last = not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last)
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        n, _, h, w = x.shape
        k = self.num_experts
        x = x.permute(0, 2, 3, 1)  # NHWC view: channels last in memory order
        if self.shared_input:
            x = F.pad(x, (self.pad_front, self.pad_back))
            x = x[:, :, :, None, :].expand(n, h, w, k, self.out_channels)
        else:
            x = F.pad(x.reshape(n, h, w, k, self.in_channels),
                      (self.pad_front, self.pad_back))
        x = x.reshape(n, h, w, k * self.out_channels).permute(0, 3, 1, 2)
        return x.contiguous(memory_format=torch.channels_last
                            if channels_last else torch.contiguous_format)

    def extra_repr(self) -> str:
        return (f'{self.in_channels}->{self.out_channels}, '
                f'stride={self.stride}, num_experts={self.num_experts}, '
                f'shared_input={self.shared_input}')


def expert_chunk(tensor: torch.Tensor, num_experts: int,
                 index: int) -> torch.Tensor:
    """The slice of a fused tensor that belongs to expert ``index`` (a view).

    0-dim tensors (BatchNorm's ``num_batches_tracked``) are shared.
    """
    if tensor.dim() == 0:
        return tensor
    return tensor.chunk(num_experts, dim=0)[index]


def expert_state(layer: nn.Module, num_experts: int,
                 index: int) -> Dict[str, torch.Tensor]:
    """Views of all parameters and buffers of a fused layer for one expert,
    keyed like the single-expert layer (for ``torch.func.functional_call``).
    Gradients and in-place BatchNorm statistics updates flow into the fused
    tensors."""
    state = {}
    for name, tensor in layer.named_parameters():
        state[name] = expert_chunk(tensor, num_experts, index)
    for name, tensor in layer.named_buffers():
        state[name] = expert_chunk(tensor, num_experts, index)
    return state
