# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS


@MODELS.register_module()
class DKTLoss(nn.Module):
    """SHIKE's dynamic knowledge transfer (DKT) loss on per-expert logits.

    With expert logits ``z_k`` (``(N, K, C)``, already scaled by the cosine
    classifiers' ``s = 30``), one-hot labels ``y``, ``z_max = max_k z_k`` and
    ``z_bar = mean_k z_k``, the terms summed over the experts ``k`` are:

    - ``loss_ce``: cross-entropy of ``z_k`` (soft labels accepted);
    - ``loss_hns`` (hardest-negative suppression): ``KL(p || q_k)`` with the
      student ``q_k = softmax(z_k`` with the target logit replaced by
      ``-30)`` and the teacher ``p = softmax(t)``, where ``t_c = z_max_c``
      for the non-target classes except the hardest negative
      ``h = argmax_{c != y} z_bar_c``, ``t_h = z_bar_h`` (suppressed) and
      ``t_y = 0``; weight ``hns_weight``;
    - ``loss_mutual``: ``sum_{j != k} KL(softmax(z_j) || softmax(z_k))``;
      weight ``mutual_weight``.

    ``reduction='mean'`` (default) reproduces the official code, whose
    ``F.kl_div`` averages over the ``N * C`` elements: per sample the KL
    terms weigh ``hns_weight / C`` and ``mutual_weight / C`` (0.1 and 0.01 at
    C = 100) relative to a per-sample KL. ``reduction='batchmean'`` gives
    the per-sample KL (mean over the batch) instead. The official code lets
    gradients flow into the teachers (``p`` and ``softmax(z_j)``);
    ``detach_teachers=True`` stops them.

    Refers to `Long-Tailed Visual Recognition via Self-Heterogeneous
    Integration with Knowledge Excavation (CVPR 2023)
    <https://arxiv.org/abs/2304.01279>`_.

    Args:
        hns_weight (float): Weight of ``loss_hns``. Defaults to 10.
        mutual_weight (float): Weight of ``loss_mutual``. Defaults to 1.
        reduction (str): ``'mean'`` (over ``N * C``, official) or
            ``'batchmean'`` (over ``N``) for the KL terms. Defaults to
            ``'mean'``.
        detach_teachers (bool): Stop the gradients through the teachers.
            Defaults to False (official).
        target_logit (float): The value that replaces the target logit in
            the HNS student and marks the target when looking for the
            hardest negative. Defaults to -30 (``-s``, official).
    """

    def __init__(self,
                 hns_weight: float = 10.,
                 mutual_weight: float = 1.,
                 reduction: str = 'mean',
                 detach_teachers: bool = False,
                 target_logit: float = -30.):
        super().__init__()
        if reduction not in ('mean', 'batchmean'):
            raise ValueError("DKTLoss: reduction must be 'mean' or "
                             f"'batchmean', got {reduction!r}.")
        self.hns_weight = hns_weight
        self.mutual_weight = mutual_weight
        self.reduction = reduction
        self.detach_teachers = detach_teachers
        self.target_logit = target_logit

    def _kl_norm(self, n: int, c: int) -> float:
        return n * c if self.reduction == 'mean' else n

    def forward(self, expert_logits: torch.Tensor, target: torch.Tensor,
                **kwargs) -> Dict[str, torch.Tensor]:
        """Args:
            expert_logits (Tensor): ``(N, K, C)``, already scaled.
            target (Tensor): Hard ``(N, )`` or soft ``(N, C)`` labels; the
                hardest negative and the HNS target are those of the one-hot
                (argmax) label.

        Returns:
            dict: ``loss_ce``, ``loss_hns`` and ``loss_mutual``.
        """
        if expert_logits.dim() != 3:
            raise ValueError('DKTLoss expects per-expert logits (N, K, C), '
                             f'got shape {tuple(expert_logits.shape)}.')
        n, k, c = expert_logits.shape
        if target.dim() == 1:
            soft = F.one_hot(target, c).to(expert_logits)
        else:
            soft = target.to(expert_logits)
        if soft.shape != (n, c):
            raise ValueError(f'DKTLoss got {tuple(target.shape)} labels for '
                             f'{n} samples of {c} classes.')
        onehot = F.one_hot(soft.argmax(dim=-1), c).to(expert_logits)
        z = expert_logits
        log_p = F.log_softmax(z, dim=-1)  # (N, K, C)
        loss_ce = -(soft[:, None] * log_p).sum(dim=-1).mean(dim=0).sum()

        # hardest-negative suppression
        z_t = z.detach() if self.detach_teachers else z
        mean = z_t.mean(dim=1)
        non_target = mean * (1 - onehot) + self.target_logit * onehot
        hardest = F.one_hot(non_target.argmax(dim=-1), c).to(z)
        teacher = z_t.max(dim=1).values * (1 - hardest) * (1 - onehot) + \
            non_target * hardest
        log_t = F.log_softmax(teacher, dim=-1)[:, None]
        student = F.log_softmax(
            z * (1 - onehot[:, None]) + self.target_logit * onehot[:, None],
            dim=-1)
        norm = self._kl_norm(n, c)
        loss_hns = (log_t.exp() * (log_t - student)).sum() / norm

        # mutual distillation: sum_{j != k} KL(p_j || p_k), with
        # sum_{j,k} p_j (log p_j - log p_k) = K sum_j p_j log p_j
        #                                     - sum_k (sum_j p_j) log p_k
        log_p_t = log_p.detach() if self.detach_teachers else log_p
        p_t = log_p_t.exp()
        loss_mutual = (k * (p_t * log_p_t).sum() -
                       (p_t.sum(dim=1, keepdim=True) * log_p).sum()) / norm
        return dict(
            loss_ce=loss_ce,
            loss_hns=self.hns_weight * loss_hns,
            loss_mutual=self.mutual_weight * loss_mutual)
