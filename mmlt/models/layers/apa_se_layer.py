# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmpretrain.models.utils import SELayer

#: The APA gate of the paper's SE blocks (``Unified`` in the official code):
#: lambda ~ U(0, 1), kappa ~ U(-1, 0).
APA_SE_GATE = dict(type='APA', lambda_init=(0., 1.), kappa_init=(-1., 0.))


class APASELayer(SELayer):
    """Squeeze-and-excitation with an APA gate (APA-SE).

    The SE block of Alexandridis et al., *Adaptive Parametric Activation*,
    ECCV 2024: global average pool -> **LayerNorm(C)** -> 1x1 conv
    ``C -> C/r`` (no bias) -> ReLU -> 1x1 conv ``C/r -> C`` (no bias) ->
    **Dropout(0.1)** -> **APA** (instead of the sigmoid) -> multiply onto the
    input. Built on mmpretrain's :class:`SELayer` (its ``act_cfg`` pair is
    ``(hidden_act_cfg, gate_cfg)``); ``gate_cfg=dict(type='Sigmoid')``,
    ``layer_norm=False`` and ``dropout=0`` give the plain SE block.

    State-dict keys: ``norm.{weight,bias}``, ``conv1.conv.weight``,
    ``conv2.conv.weight``, ``conv2.activate.{lambda_param,kappa_param}``.

    Args:
        channels (int): Input (and output) channels.
        ratio (int): Squeeze ratio ``r`` (16 for ImageNet models, 4 for the
            CIFAR ResNet-32). Defaults to 16.
        squeeze_channels (int, optional): Hidden width; defaults to
            ``max(channels // ratio, 1)`` as in the official code (no rounding
            to a multiple of 8, unlike mmpretrain's default).
        gate_cfg (dict): The gate. Defaults to :data:`APA_SE_GATE`.
        hidden_act_cfg (dict): Activation of the hidden layer (kept as ReLU
            in the paper). Defaults to ``dict(type='ReLU')``.
        layer_norm (bool): LayerNorm on the pooled features. Defaults to True.
        dropout (float): Dropout after the excitation MLP. Defaults to 0.1.
        bias (bool): Biases of the two 1x1 convs. Defaults to False.
        return_weight (bool): Return the gate instead of ``x * gate``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 channels: int,
                 ratio: int = 16,
                 squeeze_channels: Optional[int] = None,
                 gate_cfg: dict = APA_SE_GATE,
                 hidden_act_cfg: dict = dict(type='ReLU'),
                 layer_norm: bool = True,
                 dropout: float = 0.1,
                 bias: bool = False,
                 return_weight: bool = False,
                 init_cfg: Optional[dict] = None):
        if not isinstance(ratio, int) or ratio < 1:
            raise ValueError(f'APASELayer: ratio must be a positive int, got '
                             f'{ratio!r}.')
        if not 0 <= dropout < 1:
            raise ValueError(f'APASELayer: dropout must be in [0, 1), got '
                             f'{dropout}.')
        if squeeze_channels is None:
            squeeze_channels = max(channels // ratio, 1)
        super().__init__(
            channels,
            squeeze_channels=squeeze_channels,
            bias=bias,
            act_cfg=(dict(hidden_act_cfg), dict(gate_cfg)),
            return_weight=return_weight,
            init_cfg=init_cfg)
        self.norm = nn.LayerNorm(channels) if layer_norm else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.global_avgpool(x)
        if self.norm is not None:
            w = self.norm(w.flatten(1)).view_as(w)
        w = self.conv1(w)
        w = self.dropout(self.conv2.conv(w))
        w = self.conv2.activate(w)
        return w if self.return_weight else x * w
