# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import (ClassCountsMixin, effective_number_weights,
                                 ldam_margins)
from .utils import reduce_loss_with_class_weight


@MODELS.register_module()
class LDAMLoss(ClassCountsMixin, nn.Module):
    """Label-distribution-aware margin loss, optionally re-weighted.

    ``CE_w(z - s * m_y * onehot(y), y)`` with ``m_c ∝ n_c^(-1/4)`` (largest
    ``max_m``). The logits are expected to be already scaled by ``s`` (a
    cosine classifier with scale ``s``, as in LDAM-DRW and RIDE), so the
    margin is subtracted as ``s * m``. With class weights ``w`` the mean is
    torch's weighted mean ``sum_i w_{y_i} l_i / sum_i w_{y_i}``, as the
    official code (see :func:`reduce_loss_with_class_weight`).

    Deferred re-weighting (DRW): :class:`DeferredReweightingHook` calls
    :meth:`set_reweight` at the configured epoch.

    Refers to `Learning Imbalanced Datasets with Label-Distribution-Aware
    Margin Loss (NeurIPS 2019) <https://arxiv.org/abs/1906.07413>`_.

    Args:
        max_m (float): Largest margin. Defaults to 0.5.
        s (float): Scale the logits carry. Defaults to 30.
        reweight (str, optional): ``None`` or ``'effective_num'`` (class
            weights from the effective number, normalised to sum to C).
        beta (float): Effective-number beta. Defaults to 0.9999.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook``.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.,
                 reweight: Optional[str] = None,
                 beta: float = 0.9999,
                 class_counts: Optional[Sequence[int]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if reweight not in (None, 'effective_num'):
            raise ValueError("reweight must be None or 'effective_num', got "
                             f'{reweight!r}.')
        self.max_m = max_m
        self.s = s
        self.reweight = reweight
        self.beta = beta
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.margins = self.weight = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts):
        self.margins = ldam_margins(counts, self.max_m)
        self.weight = effective_number_weights(counts, self.beta) \
            if self.reweight else None

    def set_reweight(self, enabled: bool) -> None:
        """Switch the effective-number class weights on or off (DRW)."""
        self.reweight = 'effective_num' if enabled else None
        if self.class_counts is not None:
            self._on_class_counts(self.class_counts)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Args:
            cls_score (Tensor): Logits ``(N, C)``, already scaled.
            label (Tensor): Hard labels ``(N, )``.
            weight (Tensor, optional): Per-sample weights ``(N, )``.
            avg_factor (float, optional): Normaliser of the mean.
            reduction_override (str, optional): Overrides ``reduction``.
        """
        self._require_class_counts()
        if label.dim() != 1:
            raise ValueError('LDAMLoss needs hard labels of shape (N,); got '
                             f'{tuple(label.shape)} (mixup/cutmix soft '
                             'labels are not supported).')
        if cls_score.size(-1) != len(self.class_counts):
            raise ValueError(
                f'LDAMLoss got {cls_score.size(-1)}-class scores but the '
                f'training set has {len(self.class_counts)} classes: set the '
                "head's num_classes to the dataset's.")
        margin = self.margins.to(cls_score.device)[label] * self.s
        logits = cls_score.scatter_add(1, label[:, None],
                                       -margin[:, None].to(cls_score.dtype))
        loss = F.cross_entropy(logits, label, reduction='none')
        return self.loss_weight * reduce_loss_with_class_weight(
            loss, label, self.weight, weight, reduction_override
            or self.reduction, avg_factor)
