# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin
from .utils import reduce_loss_with_class_weight


@MODELS.register_module()
class LogitAdjustedLoss(ClassCountsMixin, nn.Module):
    """Logit-adjusted cross-entropy: ``CE(z + tau * log(pi), y)``.

    ``tau = 1`` is Balanced Softmax (Ren et al., NeurIPS 2020); general
    ``tau`` is the logit-adjusted loss of Menon et al., *Long-tail learning via
    logit adjustment* (ICLR 2021). Accepts hard labels ``(N,)`` or soft
    labels ``(N, C)`` (Mixup/CutMix).

    Args:
        tau (float): Strength of the adjustment. Defaults to 1.0.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook``.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        self.tau = tau
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.log_counts = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts):
        # log n_c: log pi_c up to a constant, which the cross-entropy
        # ignores; float32 as the official Balanced Softmax / SHIKE code
        self.log_counts = torch.log(
            torch.as_tensor(counts, dtype=torch.float32))

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Args:
            cls_score (Tensor): Logits ``(N, C)``.
            label (Tensor): Hard ``(N, )`` or soft ``(N, C)`` labels.
            weight (Tensor, optional): Per-sample weights ``(N, )``.
            avg_factor (float, optional): Normaliser of the mean.
            reduction_override (str, optional): Overrides ``reduction``.
        """
        self._require_class_counts()
        if cls_score.size(-1) != len(self.class_counts):
            raise ValueError(
                f'LogitAdjustedLoss got {cls_score.size(-1)}-class scores '
                f'but the training set has {len(self.class_counts)} '
                "classes: set the head's num_classes to the dataset's.")
        logits = cls_score + self.tau * self.log_counts.to(cls_score)
        if label.dim() == 1:
            loss = F.cross_entropy(logits, label, reduction='none')
        else:
            loss = -(label * F.log_softmax(logits, dim=1)).sum(1)
        return self.loss_weight * reduce_loss_with_class_weight(
            loss, label, None, weight, reduction_override or self.reduction,
            avg_factor)
