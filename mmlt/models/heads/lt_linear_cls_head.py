# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from ..utils.posthoc import PostHocAdjustMixin


@MODELS.register_module()
class LTLinearClsHead(PostHocAdjustMixin, LinearClsHead):
    """Linear head with long-tailed test-time options.

    - ``tau_norm``: at test time classify with ``w_c / |w_c|^tau`` (the
      tau-normalised classifier of Kang et al., *Decoupling Representation and
      Classifier for Long-Tailed Recognition*, ICLR 2020); the bias is kept.
    - ``posthoc``: ``'logit_adjust'`` (``z - tau log pi``) or ``'iif'``.

    Training is exactly :class:`mmpretrain.models.heads.LinearClsHead`.

    Args:
        tau_norm (float): Exponent of the weight norm at test time; 0 turns it
            off. Defaults to 0.
        posthoc (str, optional): ``None``, ``'logit_adjust'`` or ``'iif'``.
        posthoc_tau (float): Strength of the post-hoc adjustment.
        class_counts (Sequence[int], optional): Training counts, normally set
            by ``ClassCountsHook``; needed only with ``posthoc``.
        **kwargs: Arguments of :class:`LinearClsHead`.
    """

    def __init__(self,
                 *args,
                 tau_norm: float = 0.,
                 posthoc: Optional[str] = None,
                 posthoc_tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.tau_norm = tau_norm
        self._init_posthoc(posthoc, posthoc_tau, class_counts)

    def predict(
            self,
            feats: Tuple[torch.Tensor],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        x = self.pre_logits(feats)
        if self.tau_norm:
            w = self.fc.weight
            w = w / w.norm(dim=1, keepdim=True).pow(self.tau_norm)
            cls_score = F.linear(x, w, self.fc.bias)
        else:
            cls_score = self.fc(x)
        return self._get_predictions(
            self.adjust_logits(cls_score), data_samples)
