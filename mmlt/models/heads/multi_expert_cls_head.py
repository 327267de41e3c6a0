# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from ..layers import NormedLinear


@MODELS.register_module()
class MultiExpertClsHead(ClsHead):
    """K cosine classifiers on per-expert features; ensemble = mean logits.

    The head of the multi-expert methods (RIDE, MDCS, SHIKE): expert ``k``
    scores ``s * <f_k / |f_k|, w_kc / |w_kc|>`` with its own
    :class:`~mmlt.models.layers.NormedLinear` (``s = 30``, unit-norm class
    vectors at init as the official ``NormedLinear``). :meth:`forward`
    returns the ensemble (mean) logits, so ``predict`` and ``mode='tensor'``
    behave like any mmpretrain head; :meth:`forward_experts` returns the
    ``(N, K, C)`` logits that the method's loss receives in :meth:`loss`
    (``RIDELoss``, ``MDCSLoss``, ...; the loss returns one key per term).
    Predictions carry ``num_experts_used = num_experts = K`` for
    :class:`ExpertUsage`.

    Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
    Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature size ``D`` of one expert.
        num_experts (int): Number of experts ``K``.
        scale (float): Cosine logit scale ``s``. Defaults to 30.
        init (str): Class-vector initialisation of :class:`NormedLinear`.
            Defaults to ``'unit'``.
        loss (dict): The multi-expert loss, called with the ``(N, K, C)``
            logits and the targets. Defaults to ``RIDELoss``.
        **kwargs: ``topk``, ``init_cfg`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 scale: float = 30.,
                 init: str = 'unit',
                 loss: dict = dict(type='RIDELoss'),
                 **kwargs):
        super().__init__(loss=loss, **kwargs)
        for name, value in (('num_classes', num_classes),
                            ('in_channels', in_channels), ('num_experts',
                                                           num_experts)):
            if value <= 0:
                raise ValueError(f'{name}={value} must be positive.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_experts = num_experts
        self.classifiers = self.build_classifiers(scale, init)

    def build_classifiers(self, scale: float, init: str) -> nn.ModuleList:
        """One :class:`NormedLinear` per expert."""
        return nn.ModuleList(
            NormedLinear(
                self.in_channels, self.num_classes, scale=scale, init=init)
            for _ in range(self.num_experts))

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        x = feats[-1]
        if x.dim() != 3 or x.shape[1:] != (self.num_experts, self.in_channels):
            raise ValueError(
                f'{type(self).__name__} expects per-expert features (N, '
                f'{self.num_experts}, {self.in_channels}), got '
                f'{tuple(x.shape)}.')
        return x

    @property
    def active_classifiers(self) -> nn.ModuleList:
        """The classifiers in use (subclasses may switch sets)."""
        return self.classifiers

    def expert_logits(self, feat: torch.Tensor, index: int) -> torch.Tensor:
        """Logits ``(N, C)`` of expert ``index`` on its feature ``(N, D)``."""
        return self.active_classifiers[index](feat)

    def forward_experts(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Per-expert logits ``(N, K, C)``."""
        x = self.pre_logits(feats)
        return torch.stack(
            [self.expert_logits(x[:, k], k) for k in range(self.num_experts)],
            dim=1)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Ensemble (mean over experts) logits ``(N, C)``."""
        return self.forward_experts(feats).mean(dim=1)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """The loss module's dict on the per-expert logits; ``kwargs`` (e.g.
        ``teacher_logits``) are passed to it."""
        if 'gt_score' in data_samples[0]:
            target = torch.stack([ds.gt_score for ds in data_samples])
        else:
            target = torch.cat([ds.gt_label for ds in data_samples])
        losses = self.loss_module(
            self.forward_experts(feats), target, **kwargs)
        if not isinstance(losses, dict):
            losses = dict(loss=losses)
        return losses

    def predict(
            self,
            feats: Tuple[torch.Tensor],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        predictions = self._get_predictions(self(feats), data_samples)
        for sample in predictions:
            sample.set_field(
                self.num_experts, 'num_experts_used', field_type='metainfo')
            sample.set_field(
                self.num_experts, 'num_experts', field_type='metainfo')
        return predictions
