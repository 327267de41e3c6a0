# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS


@MODELS.register_module()
class RIDEHead(ClsHead):
    """K cosine classifiers on per-expert features, ensemble = mean logits.

    Expert ``k`` scores ``s * <f_k / |f_k|, w_kc / |w_kc|>`` (``s = 30``,
    weights initialised uniform(-1, 1) then per-class unit norm as RIDE's
    ``NormedLinear``). :meth:`forward` returns the ensemble (mean) logits so
    ``predict`` and ``mode='tensor'`` behave like any mmpretrain head;
    :meth:`forward_experts` returns the ``(N, K, C)`` logits the RIDE loss
    needs. :meth:`loss` returns the loss module's dict (``loss_ind``,
    ``loss_div``, ``loss_distill``). Predictions carry
    ``num_experts_used = K`` for :class:`ExpertUsage`.

    Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
    Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature size ``D`` of one expert.
        num_experts (int): Number of experts ``K``.
        scale (float): Cosine logit scale ``s``. Defaults to 30.
        loss (dict): The per-expert loss. Defaults to ``RIDELoss``.
        **kwargs: ``topk``, ``init_cfg`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 scale: float = 30.,
                 loss: dict = dict(type='RIDELoss'),
                 **kwargs):
        super().__init__(loss=loss, **kwargs)
        for name, value in (('num_classes', num_classes),
                            ('in_channels', in_channels),
                            ('num_experts', num_experts)):
            if value <= 0:
                raise ValueError(f'{name}={value} must be positive.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_experts = num_experts
        self.scale = scale
        self.weight = nn.Parameter(
            torch.empty(num_experts, in_channels, num_classes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(-1, 1)
            self.weight.div_(self.weight.norm(dim=1, keepdim=True))

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        x = feats[-1]
        if x.dim() != 3 or x.shape[1:] != (self.num_experts,
                                           self.in_channels):
            raise ValueError(
                f'RIDEHead expects per-expert features (N, {self.num_experts}'
                f', {self.in_channels}), got {tuple(x.shape)}.')
        return x

    def forward_experts(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Per-expert logits ``(N, K, C)``."""
        x = F.normalize(self.pre_logits(feats), dim=-1)
        return self.scale * torch.einsum('nkd,kdc->nkc', x,
                                         F.normalize(self.weight, dim=1))

    def expert_logits(self, feat: torch.Tensor, index: int) -> torch.Tensor:
        """Logits ``(N, C)`` of expert ``index`` on its feature ``(N, D)``."""
        return self.scale * F.normalize(feat, dim=-1) @ F.normalize(
            self.weight[index], dim=0)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Ensemble (mean over experts) logits ``(N, C)``."""
        return self.forward_experts(feats).mean(dim=1)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             teacher_logits: Optional[torch.Tensor] = None, **kwargs) -> dict:
        if 'gt_score' in data_samples[0]:
            raise ValueError('RIDEHead needs hard labels; batch augments '
                             '(mixup/cutmix) are not supported.')
        target = torch.cat([ds.gt_label for ds in data_samples])
        losses = self.loss_module(
            self.forward_experts(feats), target,
            teacher_logits=teacher_logits, **kwargs)
        if not isinstance(losses, dict):
            losses = dict(loss=losses)
        return losses

    def predict(self,
                feats: Tuple[torch.Tensor],
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        predictions = self._get_predictions(self(feats), data_samples)
        for sample in predictions:
            sample.set_field(self.num_experts, 'num_experts_used',
                             field_type='metainfo')
        return predictions
