# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import List, Optional

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS

__all__ = ['MetaFGClassifier', 'mask_meta']


def mask_meta(meta: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero the whole meta of ``floor(B * prob)`` samples chosen at random.

    MetaFormer's meta dropout (Diao et al., arXiv 2203.02751): a zero meta
    vector still becomes a token (through the projection's biases and
    LayerNorms) that stands for "unknown".
    """
    if not 0. <= prob <= 1.:
        raise ValueError(f'meta mask probability must be in [0, 1], got '
                         f'{prob}.')
    num = math.floor(meta.shape[0] * prob + 1e-6)
    if num == 0:
        return meta
    index = torch.randperm(meta.shape[0], device=meta.device)[:num]
    meta = meta.clone()
    meta[index] = 0
    return meta


@MODELS.register_module()
class MetaFGClassifier(ImageClassifier):
    """Image classifier that feeds per-sample meta information to a
    :class:`MetaFG` backbone (MetaFormer, Diao et al., arXiv 2203.02751).

    The meta tensor of each sample is read from its data sample
    (``data_sample.meta``, packed by ``PackInputs(algorithm_keys=['meta'])``
    after a meta encoder such as :class:`SpatioTemporalMeta`).

    - Training: a fraction ``meta_mask_prob`` of each batch gets its meta
      zeroed (:func:`mask_meta`); :class:`MetaMaskCurriculumHook` sets it
      each epoch (``p_e = 1 - e / E`` by default).
    - Prediction: ``pred_score`` uses the meta; with ``eval_masked_meta``
      the images are classified a second time with all meta zeroed and
      those scores are stored as ``pred_score_meta_masked`` (read by
      :class:`MetaMaskedShotAccuracy`).

    Args:
        eval_masked_meta (bool): Also predict with masked meta.
            Defaults to True.
        meta_key (str): Data-sample field holding the meta.
            Defaults to ``'meta'``.
        **kwargs: Arguments of :class:`ImageClassifier`.
    """

    def __init__(self,
                 *args,
                 eval_masked_meta: bool = True,
                 meta_key: str = 'meta',
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.eval_masked_meta = eval_masked_meta
        self.meta_key = meta_key
        self.meta_mask_prob = 0.

    @property
    def uses_meta(self) -> bool:
        return bool(getattr(self.backbone, 'meta_dims', ()))

    def get_meta(self, data_samples: Optional[List[DataSample]],
                 inputs: torch.Tensor) -> Optional[torch.Tensor]:
        """Stack the samples' meta into ``(B, ...)`` on ``inputs``'
        device (``None`` for a vision-only backbone)."""
        if not self.uses_meta:
            return None
        missing = [
            i for i, s in enumerate(data_samples or [None] * len(inputs))
            if s is None or self.meta_key not in s
        ]
        if missing:
            raise ValueError(
                f'{type(self).__name__}: the backbone uses meta '
                f'(meta_dims={tuple(self.backbone.meta_dims)}) but data '
                f'sample {missing[0]} has no `{self.meta_key}` field; put a '
                'meta encoder (SpatioTemporalMeta, AttributeMeta or '
                "TextEmbeddingMeta) and PackInputs(algorithm_keys=['"
                f"{self.meta_key}']) in the pipeline.")
        meta = [
            torch.as_tensor(s.get(self.meta_key), dtype=torch.float32)
            for s in data_samples
        ]
        return torch.stack(meta).to(inputs.device)

    def extract_feat(self,
                     inputs: torch.Tensor,
                     stage: str = 'neck',
                     meta: Optional[torch.Tensor] = None):
        """As :meth:`ImageClassifier.extract_feat`, with ``meta`` passed to
        the backbone."""
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError(f'Invalid output stage {stage!r}.')
        x = self.backbone(inputs, meta=meta)
        if stage == 'backbone':
            return x
        if self.with_neck:
            x = self.neck(x)
        if stage == 'neck':
            return x
        return self.head.pre_logits(x)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            feats = self.extract_feat(
                inputs, meta=self.get_meta(data_samples, inputs))
            return self.head(feats) if self.with_head else feats
        return super().forward(inputs, data_samples, mode)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        meta = self.get_meta(data_samples, inputs)
        if meta is not None and self.training and self.meta_mask_prob > 0:
            meta = mask_meta(meta, self.meta_mask_prob)
        feats = self.extract_feat(inputs, meta=meta)
        return self.head.loss(feats, data_samples)

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        meta = self.get_meta(data_samples, inputs)
        preds = self.head.predict(
            self.extract_feat(inputs, meta=meta), data_samples, **kwargs)
        if meta is not None and self.eval_masked_meta:
            masked = self.head.predict(
                self.extract_feat(inputs, meta=torch.zeros_like(meta)), None,
                **kwargs)
            for pred, other in zip(preds, masked):
                pred.set_field(other.pred_score, 'pred_score_meta_masked')
        return preds
