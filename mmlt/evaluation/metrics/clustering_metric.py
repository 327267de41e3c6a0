# Copyright (c) mmlt contributors. All rights reserved.
"""Clustering accuracy under Hungarian matching, NMI, ARI, macro-F1 and
head / medium / tail accuracy for imbalanced clustering."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.utils import mkdir_or_exist

from mmlt.registry import METRICS
from mmlt.utils import dump_json

__all__ = [
    'ClusteringMetric', 'hungarian_match', 'normalized_mutual_info',
    'adjusted_rand_index', 'head_medium_tail'
]


def _contingency(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Counts of (a value, b value) pairs over the values that occur."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)
    return table


def hungarian_match(pred: np.ndarray, gt: np.ndarray, num_clusters: int,
                    num_classes: int) -> np.ndarray:
    """One-to-one cluster -> class map maximising the matched samples.

    Builds the ``num_clusters x num_classes`` vote matrix and solves the
    assignment with ``scipy.optimize.linear_sum_assignment`` (Kuhn 1955), as
    IIC/SCAN/P²OT do. Clusters left without a class (more clusters than
    classes) map to -1.

    Returns:
        np.ndarray: ``mapping[c]`` = class of cluster ``c``.
    """
    from scipy.optimize import linear_sum_assignment
    votes = np.zeros((num_clusters, num_classes), dtype=np.int64)
    np.add.at(votes, (pred, gt), 1)
    rows, cols = linear_sum_assignment(votes, maximize=True)
    mapping = np.full(num_clusters, -1, dtype=np.int64)
    mapping[rows] = cols
    return mapping


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def normalized_mutual_info(gt: np.ndarray, pred: np.ndarray) -> float:
    """NMI with the arithmetic mean of the entropies (sklearn's default)."""
    table = _contingency(gt, pred)
    if table.shape[0] == table.shape[1] == 1:
        return 1.0
    n = table.sum()
    a, b = table.sum(1), table.sum(0)
    nz = table > 0
    pij = table[nz] / n
    outer = np.outer(a, b)[nz] / (n * n)
    mi = float((pij * np.log(pij / outer)).sum())
    h_gt, h_pred = _entropy(a), _entropy(b)
    if mi <= 0 or h_gt + h_pred == 0:
        return 0.0
    return mi / ((h_gt + h_pred) / 2)


def adjusted_rand_index(gt: np.ndarray, pred: np.ndarray) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985)."""
    table = _contingency(gt, pred)
    n = int(table.sum())
    if (table.shape[0] == table.shape[1] == 1
            or table.shape[0] == table.shape[1] == n):
        return 1.0

    def pairs(x):
        x = np.asarray(x, dtype=np.float64)
        return float((x * (x - 1) / 2).sum())

    index = pairs(table)
    sum_a, sum_b = pairs(table.sum(1)), pairs(table.sum(0))
    expected = sum_a * sum_b / (n * (n - 1) / 2)
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 0.0
    return (index - expected) / (maximum - expected)


def head_medium_tail(num_classes: int,
                     head_ratio: float = 0.3,
                     tail_ratio: float = 0.3) -> np.ndarray:
    """Group id per class index: 0 head ``[0, int(0.3 K))``, 2 tail (the
    last ``int(0.3 K)``), 1 medium (the rest). Classes must be indexed by
    descending training frequency, as in the P²OT protocol."""
    groups = np.ones(num_classes, dtype=np.int64)
    n_head = int(num_classes * head_ratio)
    n_tail = int(num_classes * tail_ratio)
    groups[:n_head] = 0
    if n_tail:
        groups[num_classes - n_tail:] = 2
    return groups


@METRICS.register_module()
class ClusteringMetric(BaseMetric):
    """Imbalanced-clustering metrics (P²OT / SP²OT protocol).

    Predicted cluster ids are matched one-to-one to classes by the Hungarian
    algorithm on the vote matrix; then, in %:

    * ``mean_acc``: mean per-class accuracy (recall) over the classes present
      in the ground truth (the paper's "ACC");
    * ``acc``: plain accuracy (equal to ``mean_acc`` on a balanced set);
    * ``nmi``: normalised mutual information (arithmetic), on raw cluster
      ids; ``ari``: adjusted Rand index;
    * ``f1``: macro-F1 over the classes that occur in ground truth or mapped
      predictions (a class never predicted counts 0);
    * ``head`` / ``medium`` / ``tail``: mean per-class accuracy of the first
      30%, middle 40% and last 30% of class indices (classes indexed by
      descending training frequency).

    Predictions are ``pred_label`` of each data sample (the evaluated head).
    When data samples also carry ``head_labels`` (one cluster id per head),
    ``head{h}_mean_acc`` is reported for every head. The matching of the last
    evaluation is kept in ``self.matching`` (``matching[c]`` = class of
    cluster ``c``) and, with ``matching_out``, written to that JSON file with
    the per-class accuracies. Under DDP mmengine gathers the results of all
    ranks (each test sample counted once) before :meth:`compute_metrics`.

    The official code drops classes absent from both ground truth and
    predictions before cutting the 30/40/30 groups by position, which shifts
    the groups; here groups are always by class index.

    Args:
        num_classes (int, optional): Number of classes ``K`` (and clusters).
            Defaults to the largest label / cluster id seen plus one.
        head_ratio (float): Fraction of head classes. Defaults to 0.3.
        tail_ratio (float): Fraction of tail classes. Defaults to 0.3.
        matching_out (str, optional): JSON file for the matching.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'cluster'``.
    """
    default_prefix = 'cluster'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 head_ratio: float = 0.3,
                 tail_ratio: float = 0.3,
                 matching_out: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_classes is not None and num_classes < 2:
            raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
        if head_ratio < 0 or tail_ratio < 0 or head_ratio + tail_ratio > 1:
            raise ValueError('head_ratio and tail_ratio must be >= 0 with a '
                             f'sum <= 1, got {head_ratio} and {tail_ratio}.')
        self.num_classes = num_classes
        self.head_ratio = head_ratio
        self.tail_ratio = tail_ratio
        self.matching_out = matching_out
        self.matching: Optional[np.ndarray] = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            result = dict(
                pred=int(_scalar(sample['pred_label'])),
                gt=int(_scalar(sample['gt_label'])))
            if 'head_labels' in sample:
                result['heads'] = np.asarray(
                    _to_numpy(sample['head_labels']), dtype=np.int64)
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        pred = np.array([r['pred'] for r in results], dtype=np.int64)
        gt = np.array([r['gt'] for r in results], dtype=np.int64)
        metrics = self.compute(pred, gt)
        if results and 'heads' in results[0]:
            heads = np.stack([r['heads'] for r in results], 1)
            for h, head_pred in enumerate(heads):
                metrics[f'head{h}_mean_acc'] = self.compute(
                    head_pred, gt, save=False)['mean_acc']
        return metrics

    def compute(self,
                pred: np.ndarray,
                gt: np.ndarray,
                save: bool = True) -> Dict[str, float]:
        """All metrics for cluster ids ``pred`` against labels ``gt``."""
        if pred.shape != gt.shape or pred.ndim != 1 or pred.size == 0:
            raise ValueError('pred and gt must be non-empty 1-D arrays of '
                             f'the same length, got {pred.shape} and '
                             f'{gt.shape}.')
        if pred.min() < 0 or gt.min() < 0:
            raise ValueError('cluster ids and labels must be >= 0.')
        k = self.num_classes or int(max(pred.max(), gt.max())) + 1
        if gt.max() >= k or pred.max() >= k:
            raise ValueError(f'labels / cluster ids must be < num_classes = '
                             f'{k}, got max label {gt.max()} and max cluster '
                             f'{pred.max()}.')
        mapping = hungarian_match(pred, gt, k, k)
        mapped = mapping[pred]
        correct = mapped == gt
        support = np.bincount(gt, minlength=k)
        hits = np.bincount(gt[correct], minlength=k)
        present = support > 0
        class_acc = np.full(k, np.nan)
        class_acc[present] = hits[present] / support[present]
        predicted = np.bincount(mapped[mapped >= 0], minlength=k)
        with np.errstate(divide='ignore', invalid='ignore'):
            precision = np.where(predicted > 0, hits / predicted, 0.0)
            recall = np.where(present, hits / np.maximum(support, 1), 0.0)
            f1 = np.where(precision + recall > 0,
                          2 * precision * recall / (precision + recall), 0.0)
        f1_classes = present | (predicted > 0)
        groups = head_medium_tail(k, self.head_ratio, self.tail_ratio)
        out = dict(
            mean_acc=100 * float(np.nanmean(class_acc)),
            acc=100 * float(correct.mean()),
            nmi=100 * normalized_mutual_info(gt, pred),
            ari=100 * adjusted_rand_index(gt, pred),
            f1=100 * float(f1[f1_classes].mean()))
        for g, name in enumerate(('head', 'medium', 'tail')):
            accs = class_acc[(groups == g) & present]
            out[name] = 100 * float(accs.mean()) if accs.size else float('nan')
        if save:
            self.matching = mapping
            if self.matching_out:
                mkdir_or_exist(osp.dirname(osp.abspath(self.matching_out)))
                dump_json(
                    dict(
                        cluster_to_class=mapping.tolist(),
                        class_accuracy=class_acc,
                        class_support=support.tolist(),
                        metrics=out), self.matching_out)
        return out


def _to_numpy(x):
    if hasattr(x, 'detach'):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _scalar(x):
    arr = _to_numpy(x).reshape(-1)
    if arr.size != 1:
        raise ValueError(f'Expected one label per sample, got {arr.size}.')
    return arr[0]
