# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS


@MODELS.register_module()
class P2OTClustering(BaseSelfSupervisor):
    """Deep imbalanced clustering with optimal-transport pseudo-labels.

    P²OT (Zhang, Ren and He, *P²OT: Progressive Partial Optimal Transport
    for Deep Imbalanced Clustering*, ICLR 2024) and SP²OT (*SP²OT:
    Semantic-Regularized Progressive Partial Optimal Transport for
    Imbalanced Clustering*, arXiv 2404.03446): a backbone (a DINO ViT-B/16
    of which only the last block trains, or any mmpretrain backbone + neck)
    and a :class:`CosineClusterHead` whose pseudo-labeler decides the method
    (:class:`PartialOTPseudoLabeler` for P²OT,
    :class:`SemanticPartialOTPseudoLabeler` for SP²OT, ``relax_columns=False``
    with ``rho = 1`` for plain balanced Sinkhorn pseudo-labels).

    Modes: ``'loss'`` takes the views of :class:`mmpretrain.MultiView` (a
    list of ``(B, C, H, W)`` batches) and returns the swapped-prediction
    losses; ``'predict'`` takes one batch and returns data samples with the
    cluster scores of the evaluated head (for :class:`ClusteringMetric`);
    ``'tensor'`` returns the features.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config (e.g. global average pooling).
        head (dict): :class:`CosineClusterHead` config.
        pretrained (str, optional): Checkpoint of the whole model.
        data_preprocessor (dict, optional): Defaults to
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(B, D)`` features: backbone, neck, last output."""
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        if isinstance(x, (tuple, list)):
            x = x[-1]
        return x.flatten(1)

    def forward(self,
                inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        if not isinstance(inputs, (list, tuple)):
            raise TypeError('P2OTClustering needs several views per image in '
                            "training; wrap the train transforms in "
                            "dict(type='MultiView', num_views=2, ...).")
        # one forward per view, as the official code does (BN statistics)
        feats = [self.extract_feat(view) for view in inputs]
        return self.head.loss(feats, data_samples)

    def predict(
            self,
            inputs: Union[torch.Tensor, List[torch.Tensor]],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        return self.head.predict(self.extract_feat(inputs), data_samples)

    @torch.no_grad()
    def cluster_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(H, B, K)`` logits of one batch (used to fill the bank)."""
        return self.head(self.extract_feat(inputs))
