# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin


@MODELS.register_module()
class MDCSLoss(ClassCountsMixin, nn.Module):
    """MDCS loss: diversity loss + consistency self-distillation.

    Expert ``k``'s logits are shifted by a power of the class prior,
    ``z~_k = z_k + log(n^lambda_k + eps)`` with the training counts ``n``
    (``lambda = (-0.5, 1, 2.5)``: a head-, a balanced- and a tail-biased
    expert; ``eps = 1e-9`` as the official code, so the shift is
    ``lambda_k log n`` up to 1e-7), then:

    - ``loss_dl`` (diversity loss): ``sum_k CE(z~_k, y)``, the mean over both
      views of every image;
    - ``loss_cs`` (consistency self-distillation):
      ``w * T^2 * sum_k KL(softmax(z~_k^weak / T).detach() ||
      softmax(z~_k^strong / T))``, each KL averaged over the confident
      instances of expert ``k`` only (those whose weak-view prediction
      ``argmax z~_k^weak`` is the label) and 0 when there is none. The
      weight ``w`` (``cs_weight``) is ramped by :class:`LossWeightRampHook`
      (``0.6 * min(epoch / 20, 1)`` in the official recipe);
    - ``cs_confident`` (logged, not a loss): the fraction of confident
      (instance, expert) pairs.

    The logits are those of both views stacked weak first, ``(2B, K, C)``,
    for ``B`` labels (see :class:`MultiViewClsDataPreprocessor`); a
    single-view batch is an error. Prediction uses the raw logits (no
    shift), whose mean over experts is balanced because the shifts of
    ``lambda = (-0.5, 1, 2.5)`` relative to 1 cancel.

    Refers to `MDCS: More Diverse Experts with Consistency Self-distillation
    for Long-tailed Recognition (ICCV 2023)
    <https://arxiv.org/abs/2308.09922>`_.

    Args:
        prior_powers (Sequence[float]): ``lambda_k``, one per expert.
            Defaults to ``(-0.5, 1, 2.5)``.
        cs_weight (float): Weight ``w`` of ``loss_cs``. Defaults to 0.6 (its
            value after the ramp).
        temperature (float): ``T`` of the distillation. Defaults to 1.
        eps (float): Added to ``n^lambda`` inside the log. Defaults to 1e-9.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook``.
    """

    def __init__(self,
                 prior_powers: Sequence[float] = (-0.5, 1., 2.5),
                 cs_weight: float = 0.6,
                 temperature: float = 1.,
                 eps: float = 1e-9,
                 class_counts: Optional[Sequence[int]] = None):
        super().__init__()
        if len(prior_powers) < 1:
            raise ValueError('prior_powers needs one value per expert.')
        if not temperature > 0:
            raise ValueError(f'temperature must be positive, got '
                             f'{temperature}.')
        self.prior_powers = tuple(float(p) for p in prior_powers)
        self.cs_weight = float(cs_weight)
        self.temperature = float(temperature)
        self.eps = eps
        self.shift = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts: np.ndarray) -> None:
        # in float32 with scalar powers, as the official code computes it
        counts = torch.as_tensor(counts, dtype=torch.float32)
        self.shift = torch.stack([
            torch.log(torch.pow(counts, power) + self.eps)
            for power in self.prior_powers
        ])

    def forward(self, expert_logits: torch.Tensor, target: torch.Tensor,
                **kwargs) -> Dict[str, torch.Tensor]:
        """Args:
            expert_logits (Tensor): ``(2B, K, C)``, weak views first.
            target (Tensor): Hard labels ``(B, )``.

        Returns:
            dict: ``loss_dl``, ``loss_cs`` and ``cs_confident``.
        """
        self._require_class_counts()
        if expert_logits.dim() != 3:
            raise ValueError('MDCSLoss expects per-expert logits (N, K, C), '
                             f'got shape {tuple(expert_logits.shape)}.')
        if target.dim() != 1:
            raise ValueError('MDCSLoss needs hard labels of shape (B,); got '
                             f'{tuple(target.shape)} (mixup/cutmix soft '
                             'labels are not supported).')
        n, k, c = expert_logits.shape
        if k != len(self.prior_powers):
            raise ValueError(
                f'MDCSLoss has {len(self.prior_powers)} prior_powers '
                f'{self.prior_powers} but the model has {k} experts: give '
                'one power per expert.')
        if c != len(self.class_counts):
            raise ValueError(
                f'MDCSLoss got {c}-class scores but the training set has '
                f'{len(self.class_counts)} classes.')
        b = target.size(0)
        if n != 2 * b:
            raise ValueError(
                f'MDCSLoss needs two views of every image (weak, strong): '
                f'got {n} logits for {b} labels. Use a MultiView train '
                'pipeline with the weak and the strong augmentation and '
                "data_preprocessor=dict(type='MultiViewClsDataPreprocessor')"
                ' (see configs/mdcs).')
        shifted = expert_logits + self.shift.to(expert_logits)

        # sum over experts of per-expert means == K * flat mean
        loss_dl = k * F.cross_entropy(
            shifted.reshape(n * k, c),
            target.repeat(2).repeat_interleave(k))

        t = self.temperature
        weak, strong = shifted[:b].detach(), shifted[b:]
        confident = (weak.argmax(dim=-1) == target[:, None]).to(weak.dtype)
        kl = F.kl_div(
            F.log_softmax(strong / t, dim=-1),
            F.softmax(weak / t, dim=-1),
            reduction='none').sum(dim=-1)  # (B, K)
        per_expert = (kl * confident).sum(dim=0) / \
            confident.sum(dim=0).clamp_min(1)
        loss_cs = self.cs_weight * t * t * per_expert.sum()
        return dict(
            loss_dl=loss_dl,
            loss_cs=loss_cs,
            cs_confident=confident.mean().detach())
