# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmlt.registry import METRICS


@METRICS.register_module()
class ExpertUsage(BaseMetric):
    """How many experts a multi-expert model used per test sample.

    Reads ``num_experts_used`` (and, when present, the model's total
    ``num_experts``) from every prediction (set by
    :class:`MultiExpertClsHead` and :class:`RIDERouterClassifier`). Reports,
    under the prefix ``experts``:

    - ``avg``: mean number of experts per sample;
    - ``frac_<k>``: fraction of samples that used exactly ``k`` experts
      (``k = 1..K``).

    ``tools/analysis_tools/get_flops.py --expert-usage`` turns these
    fractions into FLOPs per image.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'experts'``.
    """
    default_prefix = 'experts'

    def __init__(self,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'num_experts_used' not in sample:
                raise KeyError(
                    'ExpertUsage needs `num_experts_used` in the predictions; '
                    'use a multi-expert model (MultiExpertClsHead / '
                    'RIDERouterClassifier).')
            used = int(sample['num_experts_used'])
            self.results.append((used, int(sample.get('num_experts', used))))

    def compute_metrics(self, results: List) -> dict:
        used, total = np.asarray(results, dtype=np.int64).reshape(-1, 2).T
        if used.min() < 1 or np.any(used > total):
            raise ValueError(f'num_experts_used outside [1, num_experts]: '
                             f'{used.min()}..{used.max()}.')
        fractions = np.bincount(used, minlength=total.max() + 1)[1:] / \
            len(used)
        metrics = {'avg': float(used.mean())}
        metrics.update({
            f'frac_{k}': float(f)
            for k, f in enumerate(fractions, start=1)
        })
        return metrics
