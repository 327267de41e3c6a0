# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS
from ..layers import NormedLinear
from ..utils.posthoc import PostHocAdjustMixin


@MODELS.register_module()
class CosineClsHead(PostHocAdjustMixin, ClsHead):
    """Cosine (normed-linear) classifier head: ``s * cos(x, w_c)``.

    A :class:`~mmlt.models.layers.NormedLinear` on the last feature: the
    classifier of LDAM-DRW (``scale=30``, ``init='unit'``) and, with
    ``feature_norm='squash'`` (features scaled by ``|x| / (1 + |x|)``
    instead of ``1 / |x|``) and ``init='linear'``, of APA, where the scale
    can also be learned. Optional post-hoc logit adjustment at test time
    (``posthoc='logit_adjust'`` or ``'iif'``). Training works with hard and
    with Mixup/CutMix soft labels (inherited from
    :class:`mmpretrain.models.heads.ClsHead`).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature size.
        scale (float): Logit scale ``s``. Defaults to 30.
        feature_norm (str): ``'l2'`` or ``'squash'``. Defaults to ``'l2'``.
        learnable_scale (bool): Learn the scale. Defaults to False.
        init (str): Class-vector initialisation of :class:`NormedLinear`,
            ``'unit'`` (LDAM/RIDE) or ``'linear'`` (APA). Defaults to
            ``'unit'``.
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
                 init: str = 'unit',
                 posthoc: Optional[str] = None,
                 posthoc_tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs):
        super().__init__(**kwargs)
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be positive.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.fc = NormedLinear(
            in_channels,
            num_classes,
            scale=scale,
            feature_norm=feature_norm,
            learnable_scale=learnable_scale,
            init=init)
        self._init_posthoc(posthoc, posthoc_tau, class_counts)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        return feats[-1]

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        return self.fc(self.pre_logits(feats))

    def predict(
            self,
            feats: Tuple[torch.Tensor],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        cls_score = self.adjust_logits(self(feats))
        return self._get_predictions(cls_score, data_samples)
