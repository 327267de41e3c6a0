# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin, effective_number_weights
from .utils import reduce_loss_with_class_weight


@MODELS.register_module()
class ClassBalancedLoss(ClassCountsMixin, nn.Module):
    """Class-balanced loss re-weighted by the effective number of samples.

    Each sample is weighted by ``w_y = (1 - beta) / (1 - beta^n_y)``
    (normalised so the class weights sum to C) and the weighted losses are
    averaged over the batch (``/ N``), following Cui et al.,
    `Class-Balanced Loss Based on Effective Number of Samples (CVPR 2019)
    <https://arxiv.org/abs/1901.05555>`_:

    - ``'softmax'``: ``mean_i w_yi * CE_i``;
    - ``'sigmoid'``: ``mean_i w_yi * sum_c BCE_ic``;
    - ``'focal'``: ``mean_i w_yi * sum_c (1 - p_t)^gamma * BCE_ic``
      (Lin et al., ICCV 2017). With ``beta = 0`` this is plain focal loss.

    Args:
        beta (float): Effective-number beta in [0, 1). Defaults to 0.9999.
        loss_type (str): ``'softmax'``, ``'sigmoid'`` or ``'focal'``.
        gamma (float): Focusing parameter of ``'focal'``. Defaults to 2.0.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook``.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 beta: float = 0.9999,
                 loss_type: str = 'softmax',
                 gamma: float = 2.0,
                 class_counts: Optional[Sequence[int]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if loss_type not in ('softmax', 'sigmoid', 'focal'):
            raise ValueError("loss_type must be 'softmax', 'sigmoid' or "
                             f"'focal', got {loss_type!r}.")
        if not 0 <= beta < 1:
            raise ValueError(f'beta must be in [0, 1), got {beta}.')
        self.beta = beta
        self.loss_type = loss_type
        self.gamma = gamma
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.weight = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts):
        self.weight = effective_number_weights(counts, self.beta)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Args:
            cls_score (Tensor): Logits ``(N, C)``.
            label (Tensor): Hard labels ``(N, )``.
            weight (Tensor, optional): Per-sample weights ``(N, )``.
            avg_factor (float, optional): Normaliser of the mean.
            reduction_override (str, optional): Overrides ``reduction``.
        """
        self._require_class_counts()
        if label.dim() != 1:
            raise ValueError('ClassBalancedLoss needs hard labels (N,), got '
                             f'{tuple(label.shape)}.')
        if cls_score.size(-1) != len(self.class_counts):
            raise ValueError(
                f'ClassBalancedLoss got {cls_score.size(-1)}-class scores '
                f'but the training set has {len(self.class_counts)} '
                "classes: set the head's num_classes to the dataset's.")
        if self.loss_type == 'softmax':
            per_sample = F.cross_entropy(cls_score, label, reduction='none')
        else:
            onehot = F.one_hot(label, cls_score.size(1)).to(cls_score)
            bce = F.binary_cross_entropy_with_logits(
                cls_score, onehot, reduction='none')
            if self.loss_type == 'focal':
                p_t = torch.exp(-bce)
                bce = (1 - p_t).pow(self.gamma) * bce
            per_sample = bce.sum(1)
        class_weight = self.weight.to(cls_score)[label]
        weight = class_weight if weight is None else class_weight * weight
        return self.loss_weight * reduce_loss_with_class_weight(
            per_sample, label, None, weight, reduction_override
            or self.reduction, avg_factor)
