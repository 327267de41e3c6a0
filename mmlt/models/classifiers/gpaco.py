# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, List

import torch
from mmpretrain.structures import DataSample

from mmlt.engine.optimizers import in_sam_perturbed_pass
from mmlt.registry import MODELS
from .paco import PaCo


@MODELS.register_module()
class GPaCo(PaCo):
    """GPaCo: PaCo without the momentum encoder.

    Both views of every image go through the one (trained) encoder, in two
    forward passes (BatchNorm statistics per view, as the official
    ``GPaCo/LT/moco/builder.py``); both are anchors of :class:`PaCoLoss`
    (each view's positives include the other view of the same image) and
    both are classified by the head, against ``[queries; keys; queue]``;
    only the key views' embeddings (of all ranks) enter the queue. The
    official GPaCo MLP is ``PaCoProjector(num_layers=3, with_bn=False)``.
    Prediction, the queue and the SAM handling are :class:`PaCo`'s.

    Refers to `Generalized Parametric Contrastive Learning (TPAMI 2023)
    <https://arxiv.org/abs/2209.12400>`_.

    Args:
        **kwargs: Arguments of :class:`PaCo` but ``momentum``.
    """
    momentum_encoder = False

    def __init__(self, *args, **kwargs):
        if 'momentum' in kwargs:
            raise ValueError('GPaCo has no momentum encoder: remove '
                             '`momentum` (or use PaCo).')
        super().__init__(*args, **kwargs)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """``loss_cls`` and ``loss_contrast`` with both views as anchors."""
        im_q, im_k, labels = self.split_views(inputs, data_samples)
        feats_q = self.extract_feat(im_q)
        q = self.embed(feats_q)
        feats_k = self.extract_feat(im_k)
        k = self.embed(feats_k)
        if in_sam_perturbed_pass():
            queue, queue_labels = self._cached_contrast()
        else:
            queue, queue_labels = self.queue.clone(), self.queue_labels.clone()
            self._contrast_cache = (queue, queue_labels)
            self.enqueue(k.detach(), labels)
        feats = tuple(torch.cat(pair) for pair in zip(feats_q, feats_k))
        return self.head.loss(feats, data_samples,
                              torch.cat([q, k, queue.to(q.dtype)]),
                              torch.cat([labels, labels, queue_labels]))
