# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmlt.registry import METRICS


@METRICS.register_module()
class ExpertUsage(BaseMetric):
    """How many experts a multi-expert model (RIDE) used per test sample, and
    what that costs.

    Reads ``num_experts_used`` from every prediction (set by
    :class:`RIDEHead` and :class:`RIDERouterClassifier`). Reports, under the
    prefix ``experts``:

    - ``avg``: mean number of experts per sample;
    - ``frac_<k>``: fraction of samples that used exactly ``k`` experts;
    - ``gflops``: GFLOPs (multiply-adds, as RIDE's ``utils/gflops.py``) per
      image, ``sum_k frac_k * FLOPs(k experts)``;
    - ``gflops_all``: GFLOPs of running every expert without the router.

    The FLOPs need the model: :class:`ExpertFlopsHook` computes them before
    validation/testing and calls :meth:`set_expert_flops`. Without it only
    the usage is reported.

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'experts'``.
    """
    default_prefix = 'experts'

    def __init__(self, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.expert_flops: Optional[List[float]] = None
        self.all_experts_flops: Optional[float] = None

    def set_expert_flops(self, expert_flops: Sequence[float],
                         all_experts_flops: Optional[float] = None) -> None:
        """Args:
            expert_flops (Sequence[float]): FLOPs per image when exactly
                ``1..K`` experts are used (router cost included).
            all_experts_flops (float, optional): FLOPs per image of the plain
                all-expert model. Defaults to ``expert_flops[-1]``.
        """
        self.expert_flops = [float(f) for f in expert_flops]
        self.all_experts_flops = float(
            self.expert_flops[-1]
            if all_experts_flops is None else all_experts_flops)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'num_experts_used' not in sample:
                raise KeyError(
                    'ExpertUsage needs `num_experts_used` in the predictions; '
                    'use a RIDE model (RIDEHead / RIDERouterClassifier).')
            self.results.append(int(sample['num_experts_used']))

    def compute_metrics(self, results: List) -> dict:
        used = np.asarray(results, dtype=np.int64)
        max_k = len(self.expert_flops) if self.expert_flops else used.max()
        if used.min() < 1 or used.max() > max_k:
            raise ValueError(f'num_experts_used outside [1, {max_k}]: '
                             f'{used.min()}..{used.max()}.')
        fractions = np.bincount(used, minlength=max_k + 1)[1:] / len(used)
        metrics = {'avg': float(used.mean())}
        metrics.update({
            f'frac_{k}': float(f)
            for k, f in enumerate(fractions, start=1)
        })
        if self.expert_flops is not None:
            metrics['gflops'] = float(
                np.dot(fractions, self.expert_flops)) / 1e9
            metrics['gflops_all'] = self.all_experts_flops / 1e9
        return metrics
