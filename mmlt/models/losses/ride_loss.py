# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin
from .ldam_loss import LDAMLoss


def diversity_temperature(counts: Sequence[int],
                          reweight_factor: float,
                          base_temperature: float = 1.0) -> np.ndarray:
    """RIDE's per-class diversity temperature ``T_c = T_0 * b_c / max_j b_j``
    with ``b_c = gamma * C * pi_c + 1 - gamma`` (``pi`` = class prior).

    Raises:
        ValueError: if some ``b_c <= 0`` (``reweight_factor`` too large).
    """
    counts = np.asarray(counts, dtype=np.float64)
    prior = counts / counts.sum()
    beta = reweight_factor * len(counts) * prior + 1 - reweight_factor
    if np.any(beta <= 0):
        raise ValueError(f'reweight_factor={reweight_factor} is too large: '
                         'it makes some class temperature non-positive.')
    return base_temperature * beta / beta.max()


@MODELS.register_module()
class RIDELoss(ClassCountsMixin, nn.Module):
    """RIDE loss on per-expert logits ``(N, K, C)`` (already scaled by ``s``).

    For every expert ``k`` with logits ``z_k`` and ensemble ``z = mean_k z_k``:

    - ``loss_ind``: the :class:`LDAMLoss` of ``z_k`` (margins, and after DRW
      effective-number class weights), summed over experts;
    - ``loss_div``: ``lambda * mean(T)^2 * KL(softmax(z / T) || softmax(z_k /
      T))`` (batch mean, the ensemble side detached), summed over experts.
      ``T`` is 1 before DRW and the per-class :func:`diversity_temperature`
      after. A negative ``lambda`` (``additional_diversity_factor``, -0.45
      CIFAR, -0.2 ImageNet-LT/iNat) pushes experts apart.
    - ``loss_distill`` (when ``teacher_logits`` are given):
      ``alpha * T_d^2 * KL(softmax(t / T_d) || softmax(z / T_d))`` between the
      teacher's and the student's mean logits.

    Deferred re-weighting (DRW) is switched on by
    :class:`DeferredReweightingHook` through :meth:`set_reweight`.

    Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
    Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.

    Args:
        max_m (float): Largest LDAM margin. Defaults to 0.5.
        s (float): Scale the logits carry. Defaults to 30.
        reweight (bool): DRW phase: class weights and per-class diversity
            temperature on. Defaults to False.
        beta (float): Effective-number beta. Defaults to 0.9999.
        reweight_factor (float): ``gamma`` of the temperature. Defaults to
            0.05 (RIDE's default; configs use 0.02 / 0.015 on ImageNet-LT /
            iNat).
        base_diversity_temperature (float): ``T_0``. Defaults to 1.0.
        additional_diversity_factor (float): ``lambda``. Defaults to -0.2.
        base_loss_factor (float): Weight of ``loss_ind``. Defaults to 1.0.
        distill_temperature (float): ``T_d``. Defaults to 1.5.
        distill_factor (float): ``alpha``. Defaults to 1.0.
        distill_scale_by_experts (bool): With ``teacher_logits``, multiply
            every term by K as the official ``RIDELossWithDistill`` does (it
            adds the whole RIDE + distillation loss once per expert, i.e. a K
            times larger effective learning rate). Defaults to False.
        collaborative_if_no_diversity (bool): With ``lambda == 0`` compute
            every expert's LDAM term on the ensemble logits, the silent
            behaviour of the official code (its issue #7). Defaults to False.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook``.
    """

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.,
                 reweight: bool = False,
                 beta: float = 0.9999,
                 reweight_factor: float = 0.05,
                 base_diversity_temperature: float = 1.0,
                 additional_diversity_factor: float = -0.2,
                 base_loss_factor: float = 1.0,
                 distill_temperature: float = 1.5,
                 distill_factor: float = 1.0,
                 distill_scale_by_experts: bool = False,
                 collaborative_if_no_diversity: bool = False,
                 class_counts: Optional[Sequence[int]] = None):
        super().__init__()
        if s <= 0:
            raise ValueError(f's must be positive, got {s}.')
        if base_diversity_temperature <= 0 or distill_temperature <= 0:
            raise ValueError('temperatures must be positive, got '
                             f'base_diversity_temperature='
                             f'{base_diversity_temperature}, '
                             f'distill_temperature={distill_temperature}.')
        self.ldam = LDAMLoss(
            max_m=max_m,
            s=s,
            beta=beta,
            reweight='effective_num' if reweight else None)
        self.reweight = reweight
        self.reweight_factor = reweight_factor
        self.base_diversity_temperature = base_diversity_temperature
        self.additional_diversity_factor = additional_diversity_factor
        self.base_loss_factor = base_loss_factor
        self.distill_temperature = distill_temperature
        self.distill_factor = distill_factor
        self.distill_scale_by_experts = distill_scale_by_experts
        self.collaborative_if_no_diversity = collaborative_if_no_diversity
        self.temperature = None
        self.mean_temperature = base_diversity_temperature
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts) -> None:
        self.ldam.set_class_counts(counts)
        # computed before DRW too, so a bad reweight_factor fails at once
        temperature = diversity_temperature(counts, self.reweight_factor,
                                            self.base_diversity_temperature)
        if self.reweight:
            self.temperature = torch.as_tensor(
                temperature, dtype=torch.float32)
            # the mean of the stored float32 values, as the official code
            self.mean_temperature = float(self.temperature.mean())
        else:
            self.temperature = None
            self.mean_temperature = self.base_diversity_temperature

    def set_reweight(self, enabled: bool) -> None:
        """Switch DRW (class weights + per-class temperature) on or off."""
        self.reweight = bool(enabled)
        self.ldam.set_reweight(enabled)
        if self.class_counts is not None:
            self._on_class_counts(self.class_counts)

    def forward(self,
                expert_logits: torch.Tensor,
                target: torch.Tensor,
                teacher_logits: Optional[torch.Tensor] = None,
                **kwargs) -> Dict[str, torch.Tensor]:
        """Args:
            expert_logits (Tensor): ``(N, K, C)``, already scaled.
            target (Tensor): Hard labels ``(N, )``.
            teacher_logits (Tensor, optional): Teacher mean logits ``(N, C)``.

        Returns:
            dict: ``loss_ind``, ``loss_div`` and, with a teacher,
            ``loss_distill``.
        """
        self._require_class_counts()
        if expert_logits.dim() != 3:
            raise ValueError('RIDELoss expects per-expert logits (N, K, C), '
                             f'got shape {tuple(expert_logits.shape)}.')
        if target.dim() != 1:
            raise ValueError('RIDELoss needs hard labels of shape (N,); got '
                             f'{tuple(target.shape)} (mixup/cutmix soft '
                             'labels are not supported).')
        n, k, c = expert_logits.shape
        if c != len(self.class_counts):
            raise ValueError(f'RIDELoss got {c} classes but class_counts has '
                             f'{len(self.class_counts)}.')
        mean_logits = expert_logits.mean(dim=1)

        base_logits = expert_logits
        lam = self.additional_diversity_factor
        if lam == 0 and self.collaborative_if_no_diversity:
            base_logits = mean_logits[:, None].expand(n, k, c)
        # sum over experts of per-expert (weighted) means == K * flat mean
        loss_ind = k * self.ldam(
            base_logits.reshape(n * k, c), target.repeat_interleave(k))

        temperature = self.temperature
        if temperature is None:
            temperature = self.base_diversity_temperature
        else:
            temperature = temperature.to(expert_logits)
        log_q = F.log_softmax(expert_logits / temperature, dim=-1)
        with torch.no_grad():
            p = F.softmax(mean_logits / temperature, dim=-1)
        kl = F.kl_div(log_q, p[:, None].expand_as(log_q), reduction='sum')
        loss_div = lam * self.mean_temperature**2 * kl / n

        losses = dict(
            loss_ind=self.base_loss_factor * loss_ind, loss_div=loss_div)
        if teacher_logits is not None:
            t = self.distill_temperature
            kl = F.kl_div(
                F.log_softmax(mean_logits / t, dim=-1),
                F.softmax(teacher_logits.detach() / t, dim=-1),
                reduction='batchmean')
            losses['loss_distill'] = self.distill_factor * t * t * kl
            if self.distill_scale_by_experts:
                losses = {key: k * v for key, v in losses.items()}
        return losses
