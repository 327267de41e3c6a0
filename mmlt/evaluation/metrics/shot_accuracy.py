# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.fileio import list_from_file
from mmengine.utils import mkdir_or_exist

from mmlt.registry import METRICS
from mmlt.utils import dump_json

GROUPS = ('many', 'medium', 'few')


def shot_groups(counts: np.ndarray,
                many_thr: int = 100,
                few_thr: int = 20) -> np.ndarray:
    """Group id per class: 0 many (``n > many_thr``), 1 medium
    (``few_thr <= n <= many_thr``), 2 few (``n < few_thr``)."""
    counts = np.asarray(counts)
    return np.where(counts > many_thr, 0, np.where(counts < few_thr, 2, 1))


def expected_calibration_error(confidence: np.ndarray,
                               correct: np.ndarray,
                               num_bins: int = 15) -> float:
    """ECE with ``num_bins`` equal-width confidence bins, as a fraction."""
    edges = np.linspace(0, 1, num_bins + 1)
    bins = np.clip(
        np.digitize(confidence, edges[1:-1], right=True), 0, num_bins - 1)
    ece = 0.
    for b in range(num_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() -
                                     confidence[mask].mean())
    return float(ece)


@METRICS.register_module()
class ShotAccuracy(BaseMetric):
    """Long-tailed accuracy: overall, per class and per shot group.

    Reports (in %) ``top1``, ``top{k}``, ``mean_class_acc`` (mean of per-class
    accuracies), ``many`` / ``medium`` / ``few`` (mean per-class accuracy of
    the classes with ``> many_thr``, ``[few_thr, many_thr]`` and ``< few_thr``
    training images, the OLTR/Decoupling convention) and ``ece`` (expected
    calibration error, %). A shot group without classes is reported as NaN with
    a warning. Under DDP, mmengine's result collection counts every test sample
    exactly once.

    Training counts come from ``class_counts``, else from ``ann_file`` (a
    ``path label`` train list), else from :class:`ClassCountsHook`, which reads
    the train dataset.

    Args:
        topk (int | Sequence[int]): Top-k accuracies. Defaults to (1, 5).
        many_thr (int): Many-shot classes have more than this many training
            images. Defaults to 100.
        few_thr (int): Few-shot classes have fewer than this many. Defaults
            to 20.
        class_counts (Sequence[int], optional): Training images per class.
        ann_file (str, optional): Train list to count classes from.
        num_bins (int): Bins of the ECE. Defaults to 15.
        per_class_out (str, optional): Write per-class results to this JSON
            file after each evaluation (strict JSON: an empty shot group's
            NaN is written as ``null``).
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to ``'lt'``.
    """
    default_prefix = 'lt'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 many_thr: int = 100,
                 few_thr: int = 20,
                 class_counts: Optional[Sequence[int]] = None,
                 ann_file: Optional[str] = None,
                 num_bins: int = 15,
                 per_class_out: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if few_thr > many_thr + 1:
            raise ValueError(f'few_thr ({few_thr}) must be <= many_thr + 1 '
                             f'({many_thr + 1}).')
        self.many_thr = many_thr
        self.few_thr = few_thr
        self.num_bins = num_bins
        self.per_class_out = per_class_out
        self.class_counts = None
        self.per_class = None
        if class_counts is not None:
            self.set_class_counts(class_counts)
        elif ann_file is not None:
            self.set_class_counts(self._counts_from_file(ann_file))

    @staticmethod
    def _counts_from_file(ann_file: str) -> np.ndarray:
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'ShotAccuracy: ann_file {ann_file} does '
                                    'not exist.')
        labels = []
        for lineno, line in enumerate(list_from_file(ann_file), 1):
            parts = line.strip().rsplit(maxsplit=1)
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise ValueError(f'{ann_file}:{lineno}: malformed line '
                                 f'{line!r}; expected "relative/path label".')
            labels.append(int(parts[1]))
        return np.bincount(np.asarray(labels, dtype=np.int64))

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Set the per-class training counts used for the shot groups."""
        counts = np.asarray(counts, dtype=np.int64)
        if counts.ndim != 1 or (counts < 0).any():
            raise ValueError('class_counts must be a 1-D array of '
                             f'non-negative ints, got {counts}.')
        self.class_counts = counts

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        maxk = max(self.topk)
        for sample in data_samples:
            gt = int(torch.as_tensor(sample['gt_label']).reshape(-1)[0])
            if 'pred_score' in sample:
                score = torch.as_tensor(sample['pred_score']).float()
                k = min(maxk, score.numel())
                conf, top = score.topk(k)
                top = top.tolist() + [-1] * (maxk - k)
                conf = float(conf[0])
            else:
                top = [
                    int(torch.as_tensor(sample['pred_label']).reshape(-1)[0])
                ] + [-1] * (
                    maxk - 1)
                conf = float('nan')
            self.results.append((gt, top, conf))

    def compute_metrics(self, results: List) -> dict:
        gt = np.array([r[0] for r in results], dtype=np.int64)
        top = np.array([r[1] for r in results], dtype=np.int64)
        conf = np.array([r[2] for r in results], dtype=np.float64)
        if self.class_counts is None:
            raise RuntimeError(
                'ShotAccuracy has no training class counts: pass '
                '`class_counts=` or `ann_file=`, or add '
                "dict(type='ClassCountsHook') to `custom_hooks`.")
        num_classes = len(self.class_counts)
        if gt.max() >= num_classes:
            raise ValueError(f'Test label {gt.max()} is out of range for '
                             f'{num_classes} classes with training counts.')
        correct = top[:, 0] == gt
        metrics = {}
        for k in self.topk:
            metrics[f'top{k}'] = float(
                (top[:, :k] == gt[:, None]).any(1).mean() * 100)

        test_counts = np.bincount(gt, minlength=num_classes)
        hits = np.bincount(gt, weights=correct, minlength=num_classes)
        present = test_counts > 0
        acc = np.full(num_classes, np.nan)
        acc[present] = hits[present] / test_counts[present] * 100
        metrics['mean_class_acc'] = float(np.nanmean(acc))

        group = shot_groups(self.class_counts, self.many_thr, self.few_thr)
        for g, name in enumerate(GROUPS):
            members = (group == g) & present
            if members.any():
                metrics[name] = float(acc[members].mean())
            else:
                warnings.warn(f'ShotAccuracy: no test class is in the '
                              f'"{name}" group; reporting NaN.')
                metrics[name] = float('nan')
        if not np.isnan(conf).any():
            metrics['ece'] = expected_calibration_error(
                conf, correct, self.num_bins) * 100

        self.per_class = dict(
            classes=list(self.dataset_meta.get('classes', []) or [])
            if self.dataset_meta else [],
            train_counts=self.class_counts.tolist(),
            test_counts=test_counts.tolist(),
            accuracy=[None if np.isnan(a) else float(a) for a in acc],
            group=[GROUPS[g] for g in group],
            thresholds=dict(many_thr=self.many_thr, few_thr=self.few_thr),
            summary=metrics)
        if self.per_class_out:
            mkdir_or_exist(osp.dirname(osp.abspath(self.per_class_out)))
            dump_json(self.per_class, self.per_class_out)
        return metrics
