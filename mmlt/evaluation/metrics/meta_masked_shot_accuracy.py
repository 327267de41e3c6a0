# Copyright (c) mmlt contributors. All rights reserved.
from typing import Sequence

from mmlt.registry import METRICS
from .shot_accuracy import ShotAccuracy


@METRICS.register_module()
class MetaMaskedShotAccuracy(ShotAccuracy):
    """:class:`ShotAccuracy` of the predictions made with all meta zeroed
    (``pred_score_meta_masked``, written by :class:`MetaFGClassifier` with
    ``eval_masked_meta=True``): MetaFormer's "mask meta test", reported next
    to the accuracy with meta. Keys are prefixed ``lt_meta_masked/``.

    Arguments as :class:`ShotAccuracy`.
    """
    default_prefix = 'lt_meta_masked'
    score_key = 'pred_score_meta_masked'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        swapped = []
        for sample in data_samples:
            if self.score_key not in sample:
                raise KeyError(
                    f'{type(self).__name__} needs `{self.score_key}` in the '
                    'predictions: use MetaFGClassifier with '
                    'eval_masked_meta=True and a meta-using backbone.')
            sample = dict(sample)
            sample['pred_score'] = sample.pop(self.score_key)
            swapped.append(sample)
        super().process(data_batch, swapped)
