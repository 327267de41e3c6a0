# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmlt.registry import MODELS
from .lt_linear_cls_head import LTLinearClsHead


@MODELS.register_module()
class MetaFGHead(LTLinearClsHead):
    """MetaFormer's classification head (Diao et al., *MetaFormer: A Unified
    Meta Framework for Fine-Grained Recognition*, arXiv 2203.02751).

    From the CLS tokens ``(cls_1, cls_2)`` of :class:`MetaFG`:
    ``c1 = LN(MLP(LN(cls_1)))`` (MLP ``C3 -> C3 -> C4`` with GELU),
    ``c2 = LN(cls_2)``; the pair is fused by a learned 1x1 ``Conv1d(2, 1)``
    (a weighted sum plus a bias), normalised by LayerNorm and classified by a
    linear layer. With ``only_last_cls`` the feature is ``LN(cls_2)``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): ``C4``, the dimension of ``cls_2``.
        cls1_channels (int, optional): ``C3``, the dimension of ``cls_1``;
            needed unless ``only_last_cls``.
        only_last_cls (bool): Classify ``LN(cls_2)`` only. Defaults to False.
        init_cfg (dict | list[dict]): Defaults to truncated-normal (std 0.02)
            linear layers with zero bias, as the official code.
        **kwargs: Other arguments of :class:`LTLinearClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 cls1_channels: Optional[int] = None,
                 only_last_cls: bool = False,
                 init_cfg=dict(
                     type='TruncNormal', layer='Linear', std=.02, bias=0.),
                 **kwargs):
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            init_cfg=init_cfg,
            **kwargs)
        self.only_last_cls = only_last_cls
        self.norm_2 = nn.LayerNorm(in_channels)
        if not only_last_cls:
            if cls1_channels is None:
                raise ValueError('MetaFGHead needs `cls1_channels` (C3) '
                                 'unless only_last_cls=True.')
            self.norm_1 = nn.LayerNorm(cls1_channels)
            self.cls1_fc = nn.Sequential(
                nn.Linear(cls1_channels, cls1_channels), nn.GELU(),
                nn.Linear(cls1_channels, in_channels),
                nn.LayerNorm(in_channels))
            self.aggregate = nn.Conv1d(2, 1, kernel_size=1)
            self.norm = nn.LayerNorm(in_channels)

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Fused feature ``(B, C4)`` from ``(cls_1, cls_2)``."""
        cls_2 = self.norm_2(feats[-1])
        if self.only_last_cls:
            return cls_2
        cls_1 = self.cls1_fc(self.norm_1(feats[-2]))
        fused = self.aggregate(torch.stack([cls_1, cls_2], dim=1))
        return self.norm(fused.squeeze(1))

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        return self.fc(self.pre_logits(feats))
