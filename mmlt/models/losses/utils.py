# Copyright (c) mmlt contributors. All rights reserved.
"""Reduction shared by mmlt's classification losses."""
from typing import Optional

import torch
from mmpretrain.models.losses.utils import weight_reduce_loss


def reduce_loss_with_class_weight(
        loss: torch.Tensor,
        target: torch.Tensor,
        class_weight: Optional[torch.Tensor] = None,
        weight: Optional[torch.Tensor] = None,
        reduction: str = 'mean',
        avg_factor: Optional[float] = None) -> torch.Tensor:
    """Reduce per-sample losses with optional class and sample weights.

    Sample weights ``weight`` and ``avg_factor`` follow mmpretrain's
    :func:`weight_reduce_loss`. With class weights ``w`` (hard labels) every
    sample counts as its class weight, in the numerator and in the
    normaliser: ``sum_i weight_i w_{y_i} l_i / (A * mean_i w_{y_i})`` with
    ``A = avg_factor`` (default: the batch size), which is torch's
    ``F.cross_entropy(..., weight=w)`` mean (``/ sum_i w_{y_i}``) when
    ``A`` is the batch size, as mmpretrain's heads pass.

    Args:
        loss (Tensor): Per-sample losses ``(N, )``.
        target (Tensor): Hard labels ``(N, )`` (used with class weights).
        class_weight (Tensor, optional): Per-class weights ``(C, )``.
        weight (Tensor, optional): Per-sample weights ``(N, )``.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        avg_factor (float, optional): Normaliser of ``'mean'``.

    Returns:
        Tensor: The reduced loss.
    """
    if weight is not None:
        weight = weight.to(loss.dtype)
    if class_weight is None:
        return weight_reduce_loss(loss, weight, reduction, avg_factor)
    per_sample = class_weight.to(loss)[target]
    if reduction == 'mean':
        count = loss.numel() if avg_factor is None else avg_factor
        avg_factor = per_sample.mean() * count
    weight = per_sample if weight is None else per_sample * weight
    return weight_reduce_loss(loss, weight, reduction, avg_factor)
