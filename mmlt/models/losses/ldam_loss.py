# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import (ClassCountsMixin, effective_number_weights,
                                 ldam_margins)


@MODELS.register_module()
class LDAMLoss(ClassCountsMixin, nn.Module):
    """Label-distribution-aware margin loss, optionally re-weighted.

    ``CE_w(z - s * m_y * onehot(y), y)`` with ``m_c ∝ n_c^(-1/4)`` (largest
    ``max_m``). The logits are expected to be already scaled by ``s`` (a
    cosine classifier with scale ``s``, as in LDAM-DRW and RIDE), so the
    margin is subtracted as ``s * m``.

    Deferred re-weighting (DRW) is done by switching to a copy of this loss
    with ``reweight='effective_num'`` via mmpretrain's ``SwitchRecipeHook``.

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
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.,
                 reweight: Optional[str] = None,
                 beta: float = 0.9999,
                 class_counts: Optional[Sequence[int]] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        if reweight not in (None, 'effective_num'):
            raise ValueError("reweight must be None or 'effective_num', got "
                             f'{reweight!r}.')
        self.max_m = max_m
        self.s = s
        self.reweight = reweight
        self.beta = beta
        self.loss_weight = loss_weight
        self.margins = self.weight = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts):
        self.margins = ldam_margins(counts, self.max_m)
        self.weight = effective_number_weights(counts, self.beta) \
            if self.reweight else None

    def forward(self, logits: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Args: logits ``(N, C)`` (already scaled), target ``(N,)``."""
        self._require_class_counts()
        if target.dim() != 1:
            raise ValueError('LDAMLoss needs hard labels of shape (N,); got '
                             f'{tuple(target.shape)} (mixup/cutmix soft '
                             'labels are not supported).')
        margin = self.margins.to(logits.device)[target] * self.s
        logits = logits.scatter_add(
            1, target[:, None], -margin[:, None].to(logits.dtype))
        weight = None if self.weight is None else self.weight.to(
            logits.device, logits.dtype)
        return self.loss_weight * F.cross_entropy(logits, target, weight)
