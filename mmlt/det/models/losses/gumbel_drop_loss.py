# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses import accuracy
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor

from mmlt.det.registry import MODELS
from mmlt.det.utils import read_lvis_category_stats

__all__ = ['GumbelDropLoss', 'gumbel_bce']


def gumbel_bce(logits: Tensor, targets: Tensor, clamp: float = 10.) -> Tensor:
    """Element-wise binary cross-entropy of the Gumbel activation.

    With ``p = exp(-exp(-z))`` (the Gumbel CDF, i.e. APA with lambda -> 0 and
    kappa = 1), ``-y ln p - (1 - y) ln(1 - p)`` simplifies to
    ``y * e^(-z) - (1 - y) * ln(1 - exp(-e^(-z)))``. ``z`` is clamped to
    ``[-clamp, clamp]`` first, as in GOL. ``ln(1 - exp(-u))`` is computed as
    ``log(-expm1(-u))``, accurate for small ``u = e^(-z)``.

    Args:
        logits (Tensor): Logits ``z`` of any shape.
        targets (Tensor): Binary targets ``y``, same shape.
        clamp (float): Clamp bound for ``z``. Defaults to 10.

    Returns:
        Tensor: The loss of each element.
    """
    u = torch.exp(-logits.clamp(-clamp, clamp))
    return targets * u - (1 - targets) * torch.log(-torch.expm1(-u))


@MODELS.register_module()
class GumbelDropLoss(nn.Module):
    """Gumbel binary cross-entropy inside DropLoss for LVIS RoI heads.

    The classification loss of GOL ("Long-tailed Instance Segmentation using
    Gumbel Optimized Loss", Alexandridis et al., ECCV 2022) used by the APA
    detector ("Adaptive Parametric Activation", Alexandridis et al., ECCV
    2024): each of the ``C`` foreground classes gets an independent Gumbel
    probability ``p = exp(-exp(-z))`` (no background logit) trained with
    :func:`gumbel_bce`, weighted by DropLoss ("DropLoss for Long-Tail
    Instance Segmentation", Hsieh et al., AAAI 2021):

    - ``R`` is the set of classes whose image-count frequency
      ``image_count / num_images`` is below ``lambda_``;
    - for foreground RoIs the negative terms of the classes in ``R`` are
      dropped (weight 0);
    - for background RoIs each negative term of a class in ``R`` is dropped
      with probability ``1 - ratio``, where ``ratio`` is the fraction of the
      batch's foreground RoIs whose ground-truth class is in ``R``.

    The loss is summed over classes and averaged over RoIs (``avg_factor``
    from the bbox head is the number of RoIs). The loss plugs into mmdet's
    ``BBoxHead`` through its custom hooks, like ``SeesawLoss``:
    ``custom_cls_channels`` (``fc_cls`` has ``C`` outputs),
    ``custom_activation`` (:meth:`get_activation` returns the Gumbel
    probabilities and a zero background column) and ``custom_accuracy``
    (:meth:`get_accuracy`).

    The per-class image counts are read from the LVIS-format training json
    (``ann_file``, its ``categories[*].image_count`` in the order of the
    json, which is the dataset's label order), or given as ``image_counts``.

    Args:
        ann_file (str, optional): LVIS-format training annotation file.
        image_counts (Sequence[int], optional): Per-class training image
            counts in label order, instead of ``ann_file``.
        num_images (int, optional): Denominator of the frequency. Defaults to
            the number of annotated images in ``ann_file``; required with
            ``image_counts``. (The official LVIS v1 code uses 99,388.)
        num_classes (int, optional): Number of foreground classes; checked
            against the counts when given.
        lambda_ (float): Frequency threshold of ``R``. Defaults to 0.0011
            (LVIS v1: classes in fewer than ~109 training images).
        clamp (float): Logit clamp bound. Defaults to 10.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'`` (per RoI).
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def __init__(self,
                 ann_file: Optional[str] = None,
                 image_counts: Optional[Sequence[int]] = None,
                 num_images: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 lambda_: float = 0.0011,
                 clamp: float = 10.,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if (ann_file is None) == (image_counts is None):
            raise ValueError('GumbelDropLoss needs exactly one of `ann_file` '
                             f'(got {ann_file!r}) and `image_counts`.')
        if ann_file is not None:
            stats = read_lvis_category_stats(ann_file)
            image_counts = stats.image_counts
            if num_images is None:
                num_images = stats.num_annotated_images
        if num_images is None or num_images <= 0:
            raise ValueError(
                f'num_images must be a positive int, got {num_images!r}.')
        counts = np.asarray(image_counts, dtype=np.float64)
        if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
            raise ValueError('image_counts must be a non-empty 1-D list of '
                             f'non-negative counts, got {image_counts!r}.')
        if num_classes is not None and num_classes != counts.size:
            raise ValueError(f'num_classes={num_classes} does not match the '
                             f'{counts.size} categories of the counts.')
        if reduction not in ('mean', 'sum', 'none'):
            raise ValueError("reduction must be 'mean', 'sum' or 'none', got "
                             f'{reduction!r}.')
        if clamp <= 0:
            raise ValueError(f'clamp must be positive, got {clamp}.')
        self.num_classes = int(counts.size)
        self.num_images = int(num_images)
        self.lambda_ = lambda_
        self.clamp = clamp
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.register_buffer(
            'frequency',
            torch.as_tensor(counts / num_images, dtype=torch.float32),
            persistent=False)
        self.register_buffer(
            'rare_mask', self.frequency < lambda_, persistent=False)
        # hooks read by mmdet's BBoxHead
        self.custom_cls_channels = True
        self.custom_activation = True
        self.custom_accuracy = True

    def get_cls_channels(self, num_classes: int) -> int:
        """``fc_cls`` outputs one logit per class and no background."""
        if num_classes != self.num_classes:
            raise ValueError(
                f'The bbox head has num_classes={num_classes} but '
                f'GumbelDropLoss has counts for {self.num_classes} classes.')
        return num_classes

    def get_activation(self, cls_score: Tensor) -> Tensor:
        """Gumbel probabilities ``exp(-exp(-z))`` and a zero background
        column, shape ``(N, C + 1)``."""
        scores = torch.exp(-torch.exp(-cls_score))
        return torch.cat([scores, scores.new_zeros(scores.size(0), 1)], -1)

    def get_accuracy(self, cls_score: Tensor,
                     labels: Tensor) -> Dict[str, Tensor]:
        """Top-1 class accuracy on the foreground RoIs (``acc_classes``)."""
        fg = labels < self.num_classes
        return dict(acc_classes=accuracy(cls_score[fg], labels[fg]))

    def drop_weights(self, labels: Tensor) -> Tensor:
        """DropLoss weights ``w`` of shape ``(N, C)`` (1 keep, 0 drop)."""
        num_rois, num_classes = labels.numel(), self.num_classes
        fg = labels < num_classes
        targets = F.one_hot(labels, num_classes + 1)[:, :num_classes].bool()
        if fg.any():
            ratio = self.rare_mask[labels[fg]].float().mean()
        else:
            ratio = self.frequency.new_tensor(0.)
        drop_bg = torch.rand(
            num_rois, num_classes, device=labels.device) > ratio
        drop_roi = fg[:, None] | drop_bg & ~fg[:, None]
        drop = self.rare_mask[None, :] & ~targets & drop_roi
        return (~drop).float()

    def forward(self,
                cls_score: Tensor,
                labels: Tensor,
                label_weights: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits, shape ``(N, C)``.
            labels (Tensor): Labels in ``[0, C]`` (``C`` = background),
                shape ``(N,)``.
            label_weights (Tensor, optional): Per-RoI weights, ``(N,)``.
            avg_factor (float, optional): Divisor of the ``'mean'``
                reduction; defaults to the number of RoIs.
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: Scalar loss (or per-RoI losses with ``'none'``).
        """
        reduction = reduction_override or self.reduction
        if cls_score.dim() != 2 or cls_score.size(1) != self.num_classes:
            raise ValueError(
                f'cls_score must have shape (N, {self.num_classes}), got '
                f'{tuple(cls_score.shape)}.')
        if labels.shape != cls_score.shape[:1]:
            raise ValueError(f'labels must have shape ({cls_score.size(0)},),'
                             f' got {tuple(labels.shape)}.')
        if labels.numel() and (labels.min() < 0
                               or labels.max() > self.num_classes):
            raise ValueError(f'labels must lie in [0, {self.num_classes}] '
                             f'({self.num_classes} = background).')
        labels = labels.long()
        targets = F.one_hot(labels, self.num_classes + 1)
        targets = targets[:, :self.num_classes].to(cls_score.dtype)
        with torch.no_grad():
            weights = self.drop_weights(labels).to(cls_score.dtype)
        loss = (gumbel_bce(cls_score, targets, self.clamp) * weights).sum(1)
        if label_weights is not None:
            label_weights = label_weights.float()
        loss = weight_reduce_loss(
            loss,
            weight=label_weights,
            reduction=reduction,
            avg_factor=avg_factor)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, lambda_={self.lambda_}, '
                f'num_images={self.num_images}, '
                f'num_dropped_classes={int(self.rare_mask.sum())}')
