# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule


class DepthwiseFusion(BaseModule):
    """SHIKE's depth-wise knowledge fusion (DKF) for K expert branches.

    Expert ``k`` aligns a shallow feature map (one of the backbone's shared
    *taps*: ``'stem'``, ``'layer1'``, ...) to its own last feature map with a
    stack of stride-2 3x3 conv + BN blocks that double the channels each
    time, and fuses the two by element-wise product::

        F_k = E_k(x) * g_k(tap_k),  g_k = block_{d_k - 1} o ... o block_0

    The depth ``d_k`` is implied by the channels (``C_tap * 2^d = C_out``;
    the spatial size halves as often). As in the official code, every block
    but the second (index 1) is followed by a ReLU (``relu_except``).

    On the CIFAR ResNet-32 of SHIKE the taps are ``layer1, layer2, layer1``
    (depths 2, 1, 2: 16 -> 32 -> 64 and 32 -> 64 channels); on ResNet-50
    ``layer1, layer2, layer3`` (depths 3, 2, 1 to 2048 channels).

    Refers to `Long-Tailed Visual Recognition via Self-Heterogeneous
    Integration with Knowledge Excavation (CVPR 2023)
    <https://arxiv.org/abs/2304.01279>`_.

    Args:
        num_experts (int): Number of experts ``K``.
        tap_channels (Sequence[int]): Channels of the taps in the order of
            :meth:`ExpertBranchMixin.forward_shared` (stem first).
        out_channels (int): Channels of an expert's last feature map.
        taps (Sequence[str]): The tap of each expert, ``'stem'`` or
            ``'layer<i>'`` of a shared stage; one per expert.
        relu_except (Sequence[int]): Blocks without ReLU. Defaults to
            ``(1, )``.
        norm_cfg (dict): Norm layer. Defaults to BN.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (mmcv ``ConvModule``'s Kaiming init).
    """

    def __init__(self,
                 num_experts: int,
                 tap_channels: Sequence[int],
                 out_channels: int,
                 taps: Sequence[str],
                 relu_except: Sequence[int] = (1, ),
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if len(taps) != num_experts:
            raise ValueError(f'fusion needs one tap per expert '
                             f'({num_experts}), got taps={tuple(taps)}.')
        names = ['stem'] + [f'layer{i}' for i in range(1, len(tap_channels))]
        self.tap_names = tuple(taps)
        self.tap_index = []
        self.branches = nn.ModuleList()
        for tap in taps:
            if tap not in names:
                raise ValueError(f'fusion tap {tap!r} is not a shared '
                                 f'output; choose from {names}.')
            index = names.index(tap)
            channels = tap_channels[index]
            depth = math.log2(out_channels / channels)
            if depth < 1 or depth != int(depth):
                raise ValueError(
                    f'fusion tap {tap!r} has {channels} channels, which '
                    f'doubling blocks cannot bring to the expert\'s '
                    f'{out_channels}.')
            blocks = [
                ConvModule(
                    channels * 2**j,
                    channels * 2**(j + 1),
                    kernel_size=3,
                    stride=2,
                    padding=1,
                    bias=False,
                    norm_cfg=norm_cfg,
                    act_cfg=None if j in relu_except else dict(type='ReLU'))
                for j in range(int(depth))
            ]
            self.tap_index.append(index)
            self.branches.append(nn.Sequential(*blocks))

    def forward(self, index: int, x: torch.Tensor,
                taps: Sequence[torch.Tensor]) -> torch.Tensor:
        """Fuse expert ``index``'s feature map ``x`` with its aligned tap."""
        shallow = self.branches[index](taps[self.tap_index[index]])
        if shallow.shape != x.shape:
            raise ValueError(
                f'fusion of expert {index}: the aligned '
                f'{self.tap_names[index]} has shape {tuple(shallow.shape)}, '
                f'the expert map {tuple(x.shape)}.')
        return x * shallow
