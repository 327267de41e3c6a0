# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin, log_prior


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
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight
        self.log_prior = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts):
        self.log_prior = log_prior(counts)

    def forward(self, logits: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        self._require_class_counts()
        logits = logits + self.tau * self.log_prior.to(logits)
        if target.dim() == 1:
            loss = F.cross_entropy(logits, target)
        else:
            loss = -(target * F.log_softmax(logits, dim=1)).sum(1).mean()
        return self.loss_weight * loss
