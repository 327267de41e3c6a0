# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from mmlt.registry import MODELS
from ..utils.class_prior import ClassCountsMixin


@MODELS.register_module()
class PaCoLoss(ClassCountsMixin, nn.Module):
    """Parametric contrastive loss of PaCo / GPaCo.

    Every anchor ``i`` (the first ``A`` rows of ``features``, ``A`` = rows
    of ``cls_score``) is scored against two sets in one softmax:

    - the ``C`` learnable class centres: the classifier logits, shifted by
      the log class prior (``z_ic + log(n_c / N + 1e-9)``, the logit
      adjustment of the official code) and divided by ``cls_temperature``;
    - the other ``N - 1`` contrast features (the anchors themselves, the
      key views and the queue): ``f_i . f_j / temperature``; queue slots
      not filled yet (label ``-1``) take no part.

    With ``log p_ik = s_ik - log(sum_c e^{s_ic} + gamma sum_{j != i}
    e^{s_ij})`` (``gamma`` weighs the contrast features in the
    denominator), ``P_i`` the other contrast features of ``i``'s class and
    ``Z_i = beta + alpha |P_i|``, the official per-anchor loss
    ``-(T / T_base) (beta log p_{i y_i} + alpha sum_{j in P_i} log p_ij) /
    Z_i`` (averaged over the anchors) is reported as two terms that sum to
    it exactly:

    - ``loss_cls``: the centre term ``-(T / T_base) beta log p_{i y_i} /
      Z_i`` (with ``label_smooth`` the smoothed one-hot replaces the one-hot,
      as GPaCo's ``--smooth``);
    - ``loss_contrast``: the sample term ``-(T / T_base) alpha sum_{j in
      P_i} log p_ij / Z_i``.

    Refers to `Parametric Contrastive Learning (ICCV 2021)
    <https://arxiv.org/abs/2107.12028>`_ and `Generalized Parametric
    Contrastive Learning (TPAMI 2023) <https://arxiv.org/abs/2209.12400>`_.

    Args:
        alpha (float): Weight of the positive contrast features (the
            official ``--alpha``: 0.01 on CIFAR, 0.02-0.05 on the large
            sets). Defaults to 0.05.
        beta (float): Weight of the class-centre positive. Defaults to 1.
        gamma (float): Weight of the contrast features in the softmax
            denominator. Defaults to 1.
        temperature (float): ``T`` of the feature similarities (the
            official ``--moco-t``). Defaults to 0.2.
        base_temperature (float, optional): ``T_base``; the loss is scaled
            by ``T / T_base``. Defaults to ``temperature`` (no scaling).
        cls_temperature (float): Divides the adjusted class logits (the
            official ``supt``). Defaults to 1.
        logit_adjust (bool): Add the log class prior to the class logits
            (needs the class counts, set by ``ClassCountsHook``). GPaCo on
            balanced data runs without. Defaults to True.
        label_smooth (float): Label smoothing of the centre term. Defaults
            to 0.
        eps (float): Added to the softmax denominator (after subtracting
            the row maximum) as the official code does. Defaults to 1e-12.
        class_counts (Sequence[int], optional): Per-class training counts;
            normally set by ``ClassCountsHook``.
    """

    def __init__(self,
                 alpha: float = 0.05,
                 beta: float = 1.,
                 gamma: float = 1.,
                 temperature: float = 0.2,
                 base_temperature: Optional[float] = None,
                 cls_temperature: float = 1.,
                 logit_adjust: bool = True,
                 label_smooth: float = 0.,
                 eps: float = 1e-12,
                 class_counts: Optional[Sequence[int]] = None):
        super().__init__()
        for name, value in (('alpha', alpha), ('beta', beta), ('gamma',
                                                               gamma)):
            if not value >= 0:
                raise ValueError(f'PaCoLoss: {name} must be >= 0, got '
                                 f'{value}.')
        if not alpha + beta > 0:
            raise ValueError('PaCoLoss: alpha and beta are both 0, so no '
                             'anchor has a positive.')
        base_temperature = temperature if base_temperature is None \
            else base_temperature
        for name, value in (('temperature', temperature), ('base_temperature',
                                                           base_temperature),
                            ('cls_temperature', cls_temperature)):
            if not value > 0:
                raise ValueError(f'PaCoLoss: {name} must be > 0, got '
                                 f'{value}.')
        if not 0 <= label_smooth < 1:
            raise ValueError('PaCoLoss: label_smooth must be in [0, 1), got '
                             f'{label_smooth}.')
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.temperature = temperature
        self.base_temperature = base_temperature
        self.cls_temperature = cls_temperature
        self.logit_adjust = logit_adjust
        self.label_smooth = label_smooth
        self.eps = eps
        self.log_prior = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def _on_class_counts(self, counts: np.ndarray) -> None:
        # in float32 as the official code (torch.Tensor(cls_num_list))
        counts = torch.as_tensor(counts, dtype=torch.float32)
        self.log_prior = torch.log(counts / counts.sum() + 1e-9)

    def _check(self, cls_score, features, labels) -> None:
        if cls_score.dim() != 2 or features.dim() != 2 or labels.dim() != 1:
            raise ValueError(
                'PaCoLoss expects cls_score (A, C), features (N, D) and '
                f'labels (N,); got {tuple(cls_score.shape)}, '
                f'{tuple(features.shape)} and {tuple(labels.shape)}.')
        a, n = cls_score.size(0), features.size(0)
        if labels.size(0) != n:
            raise ValueError(f'PaCoLoss: {n} features but {labels.size(0)} '
                             'labels.')
        if a > n:
            raise ValueError(f'PaCoLoss: {a} anchors (cls_score rows) but '
                             f'only {n} contrast features; the anchors are '
                             'the first rows of features.')
        num_classes = cls_score.size(1)
        if self.logit_adjust:
            self._require_class_counts()
            if num_classes != len(self.class_counts):
                raise ValueError(
                    f'PaCoLoss got {num_classes}-class scores but the '
                    f'training set has {len(self.class_counts)} classes: '
                    "set the head's num_classes to the dataset's.")
        anchor_labels = labels[:a]
        outside = (anchor_labels < 0) | (anchor_labels >= num_classes)
        if bool(outside.any()):
            bad = anchor_labels[outside]
            raise ValueError(f'PaCoLoss: anchor labels {bad.tolist()} '
                             f'outside [0, {num_classes}).')

    def forward(self, cls_score: torch.Tensor, features: torch.Tensor,
                labels: torch.Tensor, **kwargs) -> Dict[str, torch.Tensor]:
        """Args:
            cls_score (Tensor): Classifier logits of the anchors ``(A, C)``.
            features (Tensor): L2-normalised contrast features ``(N, D)``,
                the anchors first.
            labels (Tensor): Labels of ``features`` ``(N, )``; ``-1`` marks
                an empty queue slot.

        Returns:
            dict: ``loss_cls`` and ``loss_contrast``.
        """
        self._check(cls_score, features, labels)
        a = cls_score.size(0)
        anchors = features[:a]
        anchor_labels = labels[:a]
        cls_logits = cls_score
        if self.logit_adjust:
            cls_logits = cls_logits + self.log_prior.to(cls_score)
        cls_logits = cls_logits / self.cls_temperature
        sims = anchors @ features.t() / self.temperature  # (A, N)
        # the row maximum over both sets (self-similarity included), as the
        # official code; it cancels except against eps
        row_max = torch.maximum(cls_logits.max(1)[0],
                                sims.max(1)[0]).detach()[:, None]
        cls_logits = cls_logits - row_max
        sims = sims - row_max
        eye = torch.arange(a, device=features.device)
        weight = ((labels >= 0).to(sims.dtype) * self.gamma).expand(
            a, -1).clone()
        weight[eye, eye] = 0.  # no self-contrast
        denominator = cls_logits.exp().sum(1) + (sims.exp() * weight).sum(1)
        log_denominator = torch.log(denominator + self.eps)

        positive = anchor_labels[:, None] == labels[None, :]
        positive[eye, eye] = False
        num_positive = positive.sum(1).to(sims.dtype)
        sample_log_prob = torch.where(positive, sims, 0.).sum(1) - \
            num_positive * log_denominator
        if self.label_smooth:
            num_classes = cls_score.size(1)
            target = torch.full_like(cls_logits,
                                     self.label_smooth / (num_classes - 1))
            target[eye, anchor_labels] = 1. - self.label_smooth
            centre = (target * cls_logits).sum(1)
        else:
            centre = cls_logits.gather(1, anchor_labels[:, None])[:, 0]
        centre_log_prob = centre - log_denominator

        scale = self.temperature / self.base_temperature
        norm = self.beta + self.alpha * num_positive
        loss_cls = -(scale * self.beta * centre_log_prob / norm).mean()
        loss_contrast = -(scale * self.alpha * sample_log_prob / norm).mean()
        return dict(loss_cls=loss_cls, loss_contrast=loss_contrast)
