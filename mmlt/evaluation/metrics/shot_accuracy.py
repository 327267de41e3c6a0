# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
import re
import warnings
from typing import List, Optional, Sequence, Tuple, Union

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


SADE_TEST_DISTRIBUTIONS = ('forward50', 'forward25', 'forward10', 'forward5',
                           'forward2', 'uniform', 'backward2', 'backward5',
                           'backward10', 'backward25', 'backward50')

_DISTRIBUTION = re.compile(r'^(forward|backward)(\d+(?:\.\d+)?)$')


def parse_test_distribution(name: str) -> Tuple[str, float]:
    """Split a test-distribution name into ``(kind, imbalance factor)``.

    Args:
        name (str): ``'uniform'``, ``'forward<IF>'`` or ``'backward<IF>'``
            (e.g. ``'forward50'``, ``'backward2.5'``), with ``IF >= 1``.

    Returns:
        tuple[str, float]: ``('uniform', 1.0)``, ``('forward', IF)`` or
        ``('backward', IF)``.
    """
    if name == 'uniform':
        return 'uniform', 1.0
    match = _DISTRIBUTION.match(name) if isinstance(name, str) else None
    if match is None or float(match.group(2)) < 1:
        raise ValueError(
            f'test_distributions: {name!r} is not a test class distribution; '
            "use 'uniform', 'forward<IF>' or 'backward<IF>' with an "
            "imbalance factor IF >= 1, e.g. 'forward50', 'backward10'.")
    return match.group(1), float(match.group(2))


def distribution_class_prior(train_counts: Sequence[int],
                             name: str) -> np.ndarray:
    """The test class prior ``p`` of a SADE test-agnostic distribution.

    Classes are ranked by training count, most frequent first (ties by class
    index): rank ``r_c`` in ``0 .. C-1``. With imbalance factor ``IF``:

    * forward-LT: ``p_c ∝ IF^(-r_c / (C - 1))`` (the test set is as
      imbalanced as a train set with factor ``IF``, same head classes);
    * backward-LT: ``p_c ∝ IF^(-(C - 1 - r_c) / (C - 1))`` (the order is
      reversed: the training tail is the test head);
    * uniform: ``p_c = 1 / C``.

    Args:
        train_counts (Sequence[int]): Training images per class.
        name (str): See :func:`parse_test_distribution`.

    Returns:
        np.ndarray: ``p``, shape ``(C, )``, summing to 1.
    """
    kind, factor = parse_test_distribution(name)
    counts = np.asarray(train_counts)
    num_classes = len(counts)
    rank = np.empty(num_classes, dtype=np.float64)
    rank[np.argsort(-counts, kind='stable')] = np.arange(num_classes)
    if kind == 'uniform' or num_classes < 2:
        prior = np.ones(num_classes)
    else:
        if kind == 'backward':
            rank = num_classes - 1 - rank
        prior = np.power(factor, -rank / (num_classes - 1))
    return prior / prior.sum()


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

    Test-agnostic evaluation (``test_distributions``): the protocol of SADE
    (Zhang et al., *Self-Supervised Aggregation of Diverse Experts for
    Test-Agnostic Long-Tailed Recognition*, NeurIPS 2022), which evaluates
    one model on test sets whose class distribution is forward-LT (as
    imbalanced as training), uniform or backward-LT (reversed). Here each
    such accuracy is computed from the per-class accuracies ``acc_c`` of the
    (balanced) test set as the expected accuracy under the test class prior
    ``p`` (see :func:`distribution_class_prior`): classes are ranked by
    training count, most frequent first (rank ``r_c`` in ``0 .. C-1``), and

    * ``forward<IF>``: ``p_c ∝ IF^(-r_c / (C - 1))``,
    * ``backward<IF>``: ``p_c ∝ IF^(-(C - 1 - r_c) / (C - 1))``,
    * ``uniform``: ``p_c = 1 / C`` (equals ``mean_class_acc``),

    and the reported value (%) is ``sum_c p_c * acc_c``. Classes absent from
    the test set are left out and ``p`` renormalised over the others. SADE
    subsamples the test set to ``int(n_max * IF^(-r_c/(C-1)))`` images per
    class; this is the expectation of that accuracy, without the sampling
    noise and the rounding (SADE's ``test_all_cifar.py`` builds its test
    sets from the class index, which is the training-count order of
    CIFAR-LT). Each distribution is reported under its own name
    (``lt/forward50``, ``lt/uniform``, ``lt/backward50``, ...).

    Args:
        topk (int | Sequence[int]): Top-k accuracies. Defaults to (1, 5).
        many_thr (int): Many-shot classes have more than this many training
            images. Defaults to 100.
        few_thr (int): Few-shot classes have fewer than this many. Defaults
            to 20.
        class_counts (Sequence[int], optional): Training images per class.
        ann_file (str, optional): Train list to count classes from.
        num_bins (int): Bins of the ECE. Defaults to 15.
        test_distributions (Sequence[str], optional): Also report the
            accuracy under these test class distributions (test-agnostic
            evaluation, see above): ``'uniform'``, ``'forward<IF>'`` or
            ``'backward<IF>'`` with an imbalance factor ``IF >= 1``.
            ``SADE_TEST_DISTRIBUTIONS`` holds SADE's CIFAR set
            (forward 50/25/10/5/2, uniform, backward 2/5/10/25/50). Defaults
            to None (not reported).
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
                 test_distributions: Optional[Sequence[str]] = None,
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
        if isinstance(test_distributions, str):
            test_distributions = (test_distributions, )
        self.test_distributions = tuple(test_distributions or ())
        for name in self.test_distributions:
            parse_test_distribution(name)  # a bad name fails at build time
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
        for name in self.test_distributions:
            prior = distribution_class_prior(self.class_counts, name)[present]
            metrics[name] = float((prior / prior.sum() * acc[present]).sum())
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
