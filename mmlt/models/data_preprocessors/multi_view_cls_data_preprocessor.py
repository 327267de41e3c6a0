# Copyright (c) mmlt contributors. All rights reserved.
import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from mmlt.registry import MODELS


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """mmpretrain's ``ClsDataPreprocessor`` for batches with several views of
    every image.

    With a ``MultiView`` train pipeline the dataloader yields one stacked
    ``(B, C, H, W)`` input per view (``default_collate``) or one sequence of
    ``B`` images per view (mmengine's ``pseudo_collate``, the Runner's
    default, transposes every sample's list of views). Every view is
    preprocessed as a batch of its own (BGR->RGB, normalisation, padding) and
    the views are concatenated along the batch, in pipeline order:
    ``(V * B, C, H, W)``; the ``B`` data samples are left as they are, so a
    loss can tell the views apart (``MDCSLoss``: weak first, then strong).
    Single-view batches (validation, test) are processed exactly as by
    ``ClsDataPreprocessor``. Batch augmentations (Mixup, CutMix) are not
    supported with several views.

    Args:
        **kwargs: Arguments of ``ClsDataPreprocessor``.
    """

    @staticmethod
    def _is_multi_view(inputs) -> bool:
        return isinstance(inputs, (list, tuple)) and len(inputs) > 0 and (
            isinstance(inputs[0], (list, tuple)) or
            (isinstance(inputs[0], torch.Tensor) and inputs[0].dim() == 4))

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not self._is_multi_view(inputs):
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError('MultiViewClsDataPreprocessor: batch '
                             'augmentations do not support several views.')
        # pseudo_collate: one sequence of B images per view, already in
        # view order (transposing it again would pair each image's views)
        inputs = [
            list(view) if isinstance(view, (list, tuple)) else view
            for view in inputs
        ]
        views = [
            super(MultiViewClsDataPreprocessor, self).forward(
                dict(inputs=view, data_samples=data.get('data_samples')),
                training) for view in inputs
        ]
        return dict(
            inputs=torch.cat([v['inputs'] for v in views], dim=0),
            data_samples=views[0]['data_samples'])
