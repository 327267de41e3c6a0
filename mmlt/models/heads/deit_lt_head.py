# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import DeiTClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS


@MODELS.register_module()
class DeiTLTHead(DeiTClsHead):
    """DeiT-LT head: a CLS classifier and a DIST classifier trained with a
    teacher in the loop.

    The loss is ``(1 - α) · L_cls(z_cls, y) + α · L_dist(z_dist, t)``:

    * ``loss_cls = (1 - α) · L_cls``: the configured ``loss`` (e.g.
      ``LabelSmoothLoss``) on the CLS logits and the targets, the soft
      ``gt_score`` of Mixup/CutMix when the batch was mixed, else the hard
      labels;
    * ``loss_dist = α · L_dist``: ``distill_loss`` (default
      :class:`DeiTLTDistillLoss`, hard distillation against the teacher's
      argmax, re-weighted after DRW) on the DIST logits and the teacher's
      logits ``t`` on the same batch.

    Both terms are returned already multiplied by their weights, so their
    sum is the official loss. The prediction is the mean of the CLS and
    DIST *logits* (softmax-ed into ``pred_score``); :meth:`predict` also
    stores the CLS-only and DIST-only scores in each data sample
    (``pred_score_cls``, ``pred_score_dist``), which
    ``ShotAccuracy(branches=('cls', 'dist'))`` reports. Unlike
    :class:`DeiTClsHead` it trains (no warning).

    Used with :class:`TeacherStudentClassifier` (which passes
    ``teacher_logits``) and a ``DistilledVisionTransformer`` backbone.

    Refers to `DeiT-LT: Distillation Strikes Back for Vision Transformer
    Training on Long-Tailed Datasets (CVPR 2024)
    <https://arxiv.org/abs/2404.02900>`_.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the CLS and DIST tokens.
        loss (dict): The CLS loss. Defaults to ``CrossEntropyLoss``.
        distill_loss (dict): The DIST loss, called as ``(z_dist,
            teacher_logits, avg_factor=N)``. Defaults to
            ``dict(type='DeiTLTDistillLoss')``.
        alpha (float): Weight ``α`` of the distillation term, in [0, 1].
            Defaults to 0.5.
        **kwargs: Other arguments of :class:`DeiTClsHead` (``hidden_dim``,
            ``act_cfg``, ``init_cfg``, ``topk``, ``cal_acc``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 distill_loss: dict = dict(type='DeiTLTDistillLoss'),
                 alpha: float = 0.5,
                 **kwargs):
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            loss=loss,
            **kwargs)
        if not 0 <= alpha <= 1:
            raise ValueError(f'alpha must be in [0, 1], got {alpha!r}.')
        self.alpha = alpha
        if not isinstance(distill_loss, nn.Module):
            distill_loss = MODELS.build(distill_loss)
        self.distill_loss = distill_loss

    def forward_branches(
            self, feats: Tuple[List[torch.Tensor]]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The CLS and DIST logits, each ``(N, C)``."""
        cls_token, dist_token = self.pre_logits(feats)
        return self.layers.head(cls_token), self.layers.head_dist(dist_token)

    def forward(self, feats: Tuple[List[torch.Tensor]]) -> torch.Tensor:
        """The mean of the CLS and DIST logits."""
        cls_score, dist_score = self.forward_branches(feats)
        return (cls_score + dist_score) / 2

    def loss(self,
             feats: Tuple[List[torch.Tensor]],
             data_samples: List[DataSample],
             teacher_logits: Optional[torch.Tensor] = None,
             **kwargs) -> dict:
        """Compute ``loss_cls`` and ``loss_dist``.

        Args:
            feats (tuple): Backbone outputs; the last is ``(cls, dist)``.
            data_samples (List[DataSample]): With ``gt_label`` and, after
                Mixup/CutMix, ``gt_score``.
            teacher_logits (Tensor, optional): The teacher's logits
                ``(N, C)`` on the student's batch. Only ``alpha=0`` (no
                distillation) trains without them.

        Returns:
            dict[str, Tensor]: ``loss_cls`` and ``loss_dist`` (the latter
            only when ``alpha > 0``).
        """
        cls_score, dist_score = self.forward_branches(feats)
        if 'gt_score' in data_samples[0]:
            target = torch.stack([i.gt_score for i in data_samples])
        else:
            target = torch.cat([i.gt_label for i in data_samples])
        num = cls_score.size(0)
        losses = dict(
            loss_cls=(1 - self.alpha) *
            self.loss_module(cls_score, target, avg_factor=num, **kwargs))
        if self.alpha > 0:
            if teacher_logits is None:
                raise ValueError(
                    'DeiTLTHead needs teacher_logits with alpha > 0: use it '
                    'in a TeacherStudentClassifier (model.teacher).')
            if teacher_logits.shape != dist_score.shape:
                raise ValueError(
                    f'DeiTLTHead: the teacher outputs '
                    f'{teacher_logits.size(-1)} classes for '
                    f'{tuple(teacher_logits.shape)[:-1]} samples, the '
                    f'student {self.num_classes} for {num}: the teacher '
                    "must be trained on the student's classes.")
            losses['loss_dist'] = self.alpha * self.distill_loss(
                dist_score, teacher_logits, avg_factor=num)
        return losses

    def predict(
        self,
        feats: Tuple[List[torch.Tensor]],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict from the mean logits; also store ``pred_score_cls`` and
        ``pred_score_dist`` (softmax of each branch) in every sample."""
        cls_score, dist_score = self.forward_branches(feats)
        predictions = self._get_predictions((cls_score + dist_score) / 2,
                                            data_samples)
        for sample, s_cls, s_dist in zip(predictions,
                                         F.softmax(cls_score, dim=1),
                                         F.softmax(dist_score, dim=1)):
            sample.set_field(s_cls.detach(), 'pred_score_cls')
            sample.set_field(s_dist.detach(), 'pred_score_dist')
        return predictions
