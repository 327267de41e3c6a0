# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from ..utils.posthoc import PostHocAdjustMixin


@MODELS.register_module()
class CosineClsHead(PostHocAdjustMixin, ClsHead):
    """Cosine (normed-linear) classifier head: ``s * cos(x, w_c)``.

    The classifier of LDAM-DRW, RIDE, MDCS and SHIKE (``scale=30``). With
    ``feature_norm='squash'`` the feature is scaled by ``|x| / (1 + |x|)``
    instead of ``1 / |x|``, as in the APA paper's cosine classifier, where
    the scale can also be learned (``learnable_scale=True``: the logit scale
    is ``p^2`` with ``p`` initialised to ``sqrt(scale)``). Optional post-hoc
    logit adjustment at test time (``posthoc='logit_adjust'`` or ``'iif'``).
    Training works with hard and with Mixup/CutMix soft labels (inherited
    from :class:`mmpretrain.models.heads.ClsHead`).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature size.
        scale (float): Logit scale ``s``. Defaults to 30.
        feature_norm (str): ``'l2'`` or ``'squash'``. Defaults to ``'l2'``.
        learnable_scale (bool): Learn the scale. Defaults to False.
        posthoc (str, optional): ``None``, ``'logit_adjust'`` or ``'iif'``.
        posthoc_tau (float): Strength of the post-hoc adjustment.
        class_counts (Sequence[int], optional): Training counts, normally set
            by ``ClassCountsHook``; needed only with ``posthoc``.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` of
            :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 scale: float = 30.,
                 feature_norm: str = 'l2',
                 learnable_scale: bool = False,
                 posthoc: Optional[str] = None,
                 posthoc_tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs):
        super().__init__(**kwargs)
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be positive.')
        if feature_norm not in ('l2', 'squash'):
            raise ValueError("feature_norm must be 'l2' or 'squash', got "
                             f'{feature_norm!r}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.feature_norm = feature_norm
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        nn.init.uniform_(self.weight, -1, 1)
        if learnable_scale:
            self.scale_param = nn.Parameter(torch.tensor(math.sqrt(scale)))
        else:
            self.scale_param = None
            self.scale = scale
        self._init_posthoc(posthoc, posthoc_tau, class_counts)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        return feats[-1]

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        x = self.pre_logits(feats)
        norm = x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        if self.feature_norm == 'l2':
            x = x / norm
        else:
            x = x / (1 + norm)  # (|x| / (1 + |x|)) * x / |x|
        scale = self.scale_param**2 if self.scale_param is not None \
            else self.scale
        return scale * F.linear(x, F.normalize(self.weight, dim=1))

    def predict(self,
                feats: Tuple[torch.Tensor],
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        cls_score = self.adjust_logits(self(feats))
        return self._get_predictions(cls_score, data_samples)
