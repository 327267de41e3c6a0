# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from .lt_linear_cls_head import LTLinearClsHead


@MODELS.register_module()
class PaCoHead(LTLinearClsHead):
    """The linear classifier of PaCo / GPaCo; its weights are the learnable
    class centres of the parametric contrastive loss.

    Training (called by :class:`PaCo` / :class:`GPaCo`): the logits of the
    pooled features of the anchors go to the loss together with the
    contrast features and their labels (``PaCoLoss``: the log-prior logit
    adjustment is the loss's). Prediction is the plain linear classifier on
    the pooled features, as the official evaluation
    (``linear(feat_after_avg_q)``); the test-time options of
    :class:`LTLinearClsHead` (``tau_norm``, ``posthoc``) stay off unless
    set.

    Args:
        **kwargs: Arguments of :class:`LTLinearClsHead` (``num_classes``,
            ``in_channels``, ``loss`` = a ``PaCoLoss`` config, ...).
    """

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             contrast_feats: torch.Tensor, contrast_labels: torch.Tensor,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Args:
            feats (tuple[Tensor]): Pooled features of the anchors.
            data_samples (list[DataSample]): The batch's samples (unused:
                the anchors' labels lead ``contrast_labels``).
            contrast_feats (Tensor): ``(N, D)`` normalised projections, the
                anchors' first.
            contrast_labels (Tensor): ``(N, )``, ``-1`` for empty queue
                slots.
        """
        return self.loss_module(self(feats), contrast_feats, contrast_labels)
