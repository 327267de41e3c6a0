# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmengine.model import BaseModule

#: The APA gates of the paper's CBAM (``classification/cbam.py``, ``Unified``):
#: lambda ~ U(0, 1), kappa ~ U(0, 1).
APA_CBAM_GATE = dict(type='APA', lambda_init=(0., 1.), kappa_init=(0., 1.))


class CBAM(BaseModule):
    """Convolutional Block Attention Module with APA gates.

    CBAM (Woo et al., ECCV 2018) as modified by Alexandridis et al.,
    *Adaptive Parametric Activation*, ECCV 2024:

    - channel gate: average- and max-pooled features, each through
      **LayerNorm(C)** (one shared LayerNorm) and the shared MLP
      ``C -> C/r -> ReLU -> C`` (with biases, as CBAM), summed, then
      **Dropout(0.1)** and the **APA** gate instead of the sigmoid;
    - spatial gate: channel-wise max and mean maps -> 7x7 conv (no bias) ->
      BN -> **APA** gate instead of the sigmoid.

    ``gate_cfg=dict(type='Sigmoid')`` (both gates), ``layer_norm=False`` and
    ``dropout=0`` give the original CBAM.

    State-dict keys: ``norm``, ``mlp.{0,2}``, ``channel_gate``,
    ``spatial_conv``, ``spatial_norm``, ``spatial_gate``.

    Args:
        channels (int): Input (and output) channels.
        ratio (int): MLP reduction ratio. Defaults to 16.
        gate_cfg (dict): Channel gate. Defaults to :data:`APA_CBAM_GATE`.
        spatial_gate_cfg (dict, optional): Spatial gate; defaults to
            ``gate_cfg``.
        layer_norm (bool): LayerNorm on the pooled features. Defaults to True.
        dropout (float): Dropout before the channel gate. Defaults to 0.1.
        spatial_kernel (int): Kernel of the spatial conv. Defaults to 7.
        norm_cfg (dict): Norm of the spatial branch. Defaults to BN.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 channels: int,
                 ratio: int = 16,
                 gate_cfg: dict = APA_CBAM_GATE,
                 spatial_gate_cfg: Optional[dict] = None,
                 layer_norm: bool = True,
                 dropout: float = 0.1,
                 spatial_kernel: int = 7,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if not isinstance(ratio, int) or ratio < 1:
            raise ValueError(f'CBAM: ratio must be a positive int, got '
                             f'{ratio!r}.')
        if not 0 <= dropout < 1:
            raise ValueError(f'CBAM: dropout must be in [0, 1), got '
                             f'{dropout}.')
        if spatial_kernel % 2 != 1:
            raise ValueError(f'CBAM: spatial_kernel must be odd, got '
                             f'{spatial_kernel}.')
        hidden = max(channels // ratio, 1)
        self.norm = nn.LayerNorm(channels) if layer_norm else None
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, channels))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.channel_gate = build_activation_layer(dict(gate_cfg))
        self.spatial_conv = build_conv_layer(
            None,
            2,
            1,
            spatial_kernel,
            padding=spatial_kernel // 2,
            bias=False)
        self.spatial_norm = build_norm_layer(norm_cfg, 1)[1]
        self.spatial_gate = build_activation_layer(
            dict(gate_cfg if spatial_gate_cfg is None else spatial_gate_cfg))

    def _mlp(self, pooled: torch.Tensor) -> torch.Tensor:
        if self.norm is not None:
            pooled = self.norm(pooled)
        return self.mlp(pooled)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        att = self._mlp(x.mean(dim=(2, 3))) + self._mlp(x.amax(dim=(2, 3)))
        x = x * self.channel_gate(self.dropout(att))[:, :, None, None]
        maps = torch.cat(
            [x.amax(dim=1, keepdim=True),
             x.mean(dim=1, keepdim=True)], dim=1)
        return x * self.spatial_gate(
            self.spatial_norm(self.spatial_conv(maps)))
