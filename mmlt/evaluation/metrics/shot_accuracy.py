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


INDEX_GROUPS = ('head', 'mid', 'tail')


def index_groups(counts: np.ndarray, cutoffs: Sequence[int]) -> np.ndarray:
    """Group id per class from class-index cut-offs on frequency-sorted
    labels: 0 head (rank ``< cutoffs[0]``), 1 mid (``< cutoffs[1]``), 2 tail.

    Classes are ranked by training count, most frequent first (ties by class
    index), so on frequency-sorted labels (CIFAR-LT, DeiT-LT's re-indexed
    ImageNet-LT/iNat) the rank is the class index, as DeiT-LT's hard-coded
    ``categories`` (e.g. ``[36, 71]`` on CIFAR-100).
    """
    counts = np.asarray(counts)
    rank = np.empty(len(counts), dtype=np.int64)
    rank[np.argsort(-counts, kind='stable')] = np.arange(len(counts))
    return np.where(rank < cutoffs[0], 0, np.where(rank < cutoffs[1], 1, 2))


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

    Branch accuracies (``branches``): models with several classifiers that
    store each one's scores as ``pred_score_<name>`` in the data samples
    (e.g. :class:`DeiTLTHead`'s ``pred_score_cls`` / ``pred_score_dist``)
    also get ``<name>_top{k}``, ``<name>_mean_class_acc`` and
    ``<name>_many`` / ``_medium`` / ``_few`` (and ``<name>_head`` /
    ``_mid`` / ``_tail`` with ``index_cutoffs``), e.g. ``lt/cls_top1``.

    Index cut-offs (``index_cutoffs=(a, b)``): also report ``head`` /
    ``mid`` / ``tail``, the mean per-class accuracy of the classes of
    training-count rank ``< a``, ``[a, b)`` and ``>= b`` (see
    :func:`index_groups`), the hard-coded convention of DeiT-LT's code
    (CIFAR-10 ``(3, 7)``, CIFAR-100 ``(36, 71)``, ImageNet-LT
    ``(390, 835)``, iNat 2018 ``(842, 4543)``), next to the count-based
    many/medium/few.

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
        branches (Sequence[str], optional): Also report the accuracies of
            the scores ``pred_score_<name>`` of each named branch, prefixed
            ``<name>_``. Defaults to None.
        index_cutoffs (Sequence[int], optional): Two class-rank cut-offs
            ``(a, b)`` for ``head`` / ``mid`` / ``tail``. Defaults to None.
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
                 branches: Optional[Sequence[str]] = None,
                 index_cutoffs: Optional[Sequence[int]] = None,
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
        if isinstance(branches, str):
            branches = (branches, )
        self.branches = tuple(branches or ())
        if index_cutoffs is not None:
            index_cutoffs = tuple(index_cutoffs)
            if len(index_cutoffs) != 2 or not all(
                    isinstance(c, int) for c in index_cutoffs
            ) or not 0 < index_cutoffs[0] < index_cutoffs[1]:
                raise ValueError(
                    'index_cutoffs must be two ints 0 < a < b (head = '
                    f'ranks < a, mid < b, tail), got {index_cutoffs!r}.')
        self.index_cutoffs = index_cutoffs
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

    def _topk(self, score) -> Tuple[List[int], float]:
        """Top-``max(topk)`` classes (padded with -1) and the confidence."""
        maxk = max(self.topk)
        score = torch.as_tensor(score).float()
        k = min(maxk, score.numel())
        conf, top = score.topk(k)
        return top.tolist() + [-1] * (maxk - k), float(conf[0])

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        maxk = max(self.topk)
        for sample in data_samples:
            gt = int(torch.as_tensor(sample['gt_label']).reshape(-1)[0])
            if 'pred_score' in sample:
                top, conf = self._topk(sample['pred_score'])
            else:
                top = [
                    int(torch.as_tensor(sample['pred_label']).reshape(-1)[0])
                ] + [-1] * (
                    maxk - 1)
                conf = float('nan')
            if not self.branches:
                self.results.append((gt, top, conf))
                continue
            branch_tops = {}
            for name in self.branches:
                key = f'pred_score_{name}'
                if key not in sample:
                    raise KeyError(
                        f'ShotAccuracy(branches={self.branches}): the '
                        f'predictions have no {key!r} (a head that stores '
                        'it, e.g. DeiTLTHead, is needed).')
                branch_tops[name] = self._topk(sample[key])[0]
            self.results.append((gt, top, conf, branch_tops))

    def _group_accuracies(self,
                          acc: np.ndarray,
                          present: np.ndarray,
                          prefix: str = '') -> dict:
        """many/medium/few (and head/mid/tail) from per-class accuracies."""
        metrics = {}
        groupings = [(shot_groups(self.class_counts, self.many_thr,
                                  self.few_thr), GROUPS)]
        if self.index_cutoffs is not None:
            groupings.append((index_groups(self.class_counts,
                                           self.index_cutoffs), INDEX_GROUPS))
        for group, names in groupings:
            for g, name in enumerate(names):
                members = (group == g) & present
                if members.any():
                    metrics[prefix + name] = float(acc[members].mean())
                else:
                    warnings.warn(f'ShotAccuracy: no test class is in the '
                                  f'"{name}" group; reporting NaN.')
                    metrics[prefix + name] = float('nan')
        return metrics

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
        metrics.update(self._group_accuracies(acc, present))
        for name in self.test_distributions:
            prior = distribution_class_prior(self.class_counts, name)[present]
            metrics[name] = float((prior / prior.sum() * acc[present]).sum())
        if not np.isnan(conf).any():
            metrics['ece'] = expected_calibration_error(
                conf, correct, self.num_bins) * 100
        for name in self.branches:
            b_top = np.array([r[3][name] for r in results], dtype=np.int64)
            for k in self.topk:
                metrics[f'{name}_top{k}'] = float(
                    (b_top[:, :k] == gt[:, None]).any(1).mean() * 100)
            b_hits = np.bincount(
                gt, weights=b_top[:, 0] == gt, minlength=num_classes)
            b_acc = np.full(num_classes, np.nan)
            b_acc[present] = b_hits[present] / test_counts[present] * 100
            metrics[f'{name}_mean_class_acc'] = float(np.nanmean(b_acc))
            metrics.update(
                self._group_accuracies(b_acc, present, prefix=f'{name}_'))

        self.per_class = dict(
            classes=list(self.dataset_meta.get('classes', []) or [])
            if self.dataset_meta else [],
            train_counts=self.class_counts.tolist(),
            test_counts=test_counts.tolist(),
            accuracy=[None if np.isnan(a) else float(a) for a in acc],
            group=[GROUPS[g] for g in group],
            thresholds=dict(many_thr=self.many_thr, few_thr=self.few_thr),
            summary=metrics)
        if self.index_cutoffs is not None:
            self.per_class['index_group'] = [
                INDEX_GROUPS[g]
                for g in index_groups(self.class_counts, self.index_cutoffs)
            ]
            self.per_class['thresholds']['index_cutoffs'] = list(
                self.index_cutoffs)
        if self.per_class_out:
            mkdir_or_exist(osp.dirname(osp.abspath(self.per_class_out)))
            dump_json(self.per_class, self.per_class_out)
        return metrics
