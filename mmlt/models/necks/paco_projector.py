# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmlt.registry import MODELS


@MODELS.register_module()
class PaCoProjector(BaseModule):
    """The MLP from pooled features to the contrastive embedding of PaCo /
    GPaCo (the official ``encoder.fc`` after the ``--mlp`` replacement).

    ``num_layers`` linear layers, each but the last followed by an optional
    ``BatchNorm1d`` and a ReLU, kept in one ``nn.Sequential`` (``mlp``) with
    the official layout:

    - PaCo (``num_layers=2, with_bn=True``): Linear-BN-ReLU-Linear;
    - GPaCo (``num_layers=3, with_bn=False``): Linear-ReLU-Linear-ReLU-Linear;
    - ``num_layers=1``: one Linear (``--mlp`` off).

    Args:
        in_channels (int): Pooled feature channels.
        out_channels (int): Embedding size (the official ``--moco-dim``).
        hid_channels (int, optional): Hidden width. Defaults to
            ``in_channels``, as the official MLPs.
        num_layers (int): Linear layers. Defaults to 2.
        with_bn (bool): BatchNorm after the hidden linear layers. Defaults
            to True.
        init_cfg (dict, optional): Defaults to None (PyTorch's default
            initialisation, as the official MLPs).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hid_channels: Optional[int] = None,
                 num_layers: int = 2,
                 with_bn: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if num_layers < 1:
            raise ValueError(
                f'PaCoProjector: num_layers must be >= 1, got {num_layers}.')
        hid_channels = hid_channels or in_channels
        self.in_channels, self.out_channels = in_channels, out_channels
        layers, width = [], in_channels
        for _ in range(num_layers - 1):
            layers.append(nn.Linear(width, hid_channels))
            if with_bn:
                layers.append(nn.BatchNorm1d(hid_channels))
            layers.append(nn.ReLU(inplace=True))
            width = hid_channels
        layers.append(nn.Linear(width, out_channels))
        self.mlp = nn.Sequential(*layers)

    def forward(
            self, feats: Union[torch.Tensor,
                               Sequence[torch.Tensor]]) -> torch.Tensor:
        """The projection ``(B, out_channels)`` of the last pooled feature
        (a neck's tuple or a tensor ``(B, in_channels)``)."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        return self.mlp(x)
