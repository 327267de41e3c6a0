# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin, effective_number_weights
from .utils import reduce_loss_with_class_weight


@MODELS.register_module()
class DeiTLTDistillLoss(ClassCountsMixin, nn.Module):
    """DeiT-LT's distillation loss of the DIST token, optionally re-weighted.

    ``forward(dist_score, teacher_logits)`` compares the student's
    distillation-token logits ``z`` with the frozen teacher's logits ``t``
    on the same (augmented, mixed) batch:

    * ``distill_type='hard'`` (DeiT-LT's choice): ``CE(z, argmax t)``, one
      loss per sample against the teacher's predicted class ``ŷ_T``;
    * ``distill_type='soft'``: ``τ² · KL(softmax(t/τ) ‖ softmax(z/τ))`` per
      sample (a sum over classes).

    Re-weighting (deferred re-weighting, DRW, switched on by
    :meth:`set_reweight` from :class:`DRWSwitchRecipeHook` or
    :class:`DeferredReweightingHook`): effective-number class weights
    ``w_c = (1 - β) / (1 - β^{n_c})`` normalised to ``Σ_c w_c = C``,
    indexed by the **teacher's** predicted class ``ŷ_T``, and the mean is
    the weighted mean ``Σ_i w_{ŷ_i} l_i / Σ_i w_{ŷ_i}``: torch's
    ``F.cross_entropy(z, ŷ_T, weight=w)``, as the official code (see
    :func:`reduce_loss_with_class_weight`). The soft variant weights the
    per-sample KLs the same way; it never rescales log-probabilities (the
    official weighted soft loss multiplies the teacher's log-probabilities by
    ``w`` and renormalises them, which is not a distribution).

    Re-weighting is off unless ``reweight='effective_num'`` is given or
    :meth:`set_reweight` is called with ``True`` (the official ``main.py``
    turns it on from epoch 0 when ``--drw`` is not given, because it builds
    the flag as a 1-tuple, which is always truthy; here both arguments are
    type-checked).

    DeiT's soft loss divides the summed KL by ``z.numel() = N·C`` (its
    "legacy PyTorch behaviour"), i.e. the per-sample KL mean divided by C.
    That scaling is available as ``soft_numel_scaling=True`` (unweighted
    only); the default is the per-sample mean (KL's ``batchmean``).

    Refers to `DeiT-LT: Distillation Strikes Back for Vision Transformer
    Training on Long-Tailed Datasets (CVPR 2024)
    <https://arxiv.org/abs/2404.02900>`_ and `Training data-efficient image
    transformers & distillation through attention (ICML 2021)
    <https://arxiv.org/abs/2012.12877>`_.

    Args:
        distill_type (str): ``'hard'`` or ``'soft'``. Defaults to ``'hard'``.
        tau (float): Temperature of the soft loss. Defaults to 1.0.
        reweight (str, optional): ``None`` or ``'effective_num'`` (start
            re-weighted). Defaults to None: DRW switches it on.
        beta (float): Effective-number β. Defaults to 0.9999.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook`` (only needed re-weighted).
        soft_numel_scaling (bool): Divide the soft loss by ``N·C`` like
            DeiT's code instead of averaging over samples. Defaults to False.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 distill_type: str = 'hard',
                 tau: float = 1.0,
                 reweight: Optional[str] = None,
                 beta: float = 0.9999,
                 class_counts: Optional[Sequence[int]] = None,
                 soft_numel_scaling: bool = False,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if distill_type not in ('hard', 'soft'):
            raise ValueError("distill_type must be 'hard' or 'soft', got "
                             f'{distill_type!r}.')
        if reweight not in (None, 'effective_num'):
            raise ValueError("reweight must be None or 'effective_num', got "
                             f'{reweight!r}.')
        if not tau > 0:
            raise ValueError(f'tau must be > 0, got {tau!r}.')
        if soft_numel_scaling and distill_type != 'soft':
            raise ValueError('soft_numel_scaling applies to '
                             "distill_type='soft' only.")
        self.distill_type = distill_type
        self.tau = float(tau)
        self.reweight = reweight
        self.beta = beta
        self.soft_numel_scaling = soft_numel_scaling
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.weight = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts):
        self.weight = effective_number_weights(counts, self.beta) \
            if self.reweight else None

    def set_reweight(self, enabled: bool) -> None:
        """Switch the effective-number class weights on or off (DRW)."""
        if not isinstance(enabled, bool):
            raise TypeError('set_reweight expects a bool, got '
                            f'{enabled!r} ({type(enabled).__name__}).')
        self.reweight = 'effective_num' if enabled else None
        if self.class_counts is not None:
            self._on_class_counts(self.class_counts)
        else:
            self.weight = None

    def forward(self,
                dist_score: torch.Tensor,
                teacher_logits: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Args:
            dist_score (Tensor): The student's DIST logits ``(N, C)``.
            teacher_logits (Tensor): The teacher's logits ``(N, C)`` (in the
                student's class order).
            weight (Tensor, optional): Per-sample weights ``(N, )``.
            avg_factor (float, optional): Normaliser of the mean (the batch
                size gives torch's weighted mean when re-weighted).
            reduction_override (str, optional): Overrides ``reduction``.
        """
        if teacher_logits.shape != dist_score.shape:
            raise ValueError(
                'DeiTLTDistillLoss: teacher logits '
                f'{tuple(teacher_logits.shape)} and student logits '
                f'{tuple(dist_score.shape)} differ: the teacher must '
                'predict the same classes as the student.')
        teacher_logits = teacher_logits.detach()
        target = teacher_logits.argmax(dim=1)
        class_weight = None
        if self.reweight:
            self._require_class_counts()
            if self.weight is None:
                self._on_class_counts(self.class_counts)
            if len(self.weight) != dist_score.size(1):
                raise ValueError(
                    f'DeiTLTDistillLoss got {dist_score.size(1)}-class scores '
                    f'but class counts for {len(self.weight)} classes.')
            class_weight = self.weight
        reduction = reduction_override or self.reduction
        if self.distill_type == 'hard':
            loss = F.cross_entropy(dist_score, target, reduction='none')
        else:
            log_p_s = F.log_softmax(dist_score / self.tau, dim=1)
            log_p_t = F.log_softmax(teacher_logits / self.tau, dim=1)
            loss = (log_p_t.exp() * (log_p_t - log_p_s)).sum(1) * self.tau**2
            if self.soft_numel_scaling:
                if class_weight is not None or reduction != 'mean':
                    raise ValueError(
                        'soft_numel_scaling is the unweighted mean of DeiT; '
                        'it cannot be re-weighted or reduced otherwise.')
                loss = loss / dist_score.size(1)
        return self.loss_weight * reduce_loss_with_class_weight(
            loss, target, class_weight, weight, reduction, avg_factor)
