# Copyright (c) mmlt contributors. All rights reserved.
"""ShotAccuracy's branch accuracies (``pred_score_<name>``, DeiT-LT's CLS
and DIST heads) and the official index cut-offs (head / mid / tail)."""
import numpy as np
import pytest
import torch

from mmlt.evaluation import ShotAccuracy
from mmlt.evaluation.metrics import index_groups

# 4 classes, frequency-sorted: 200 (many), 50, 20 (medium), 3 (few)
COUNTS = [200, 50, 20, 3]


def _samples(gts, scores, **branches):
    out = []
    for i, (g, s) in enumerate(zip(gts, scores)):
        sample = dict(gt_label=torch.tensor([g]), pred_score=torch.tensor(s))
        for name, rows in branches.items():
            sample[f'pred_score_{name}'] = torch.tensor(rows[i])
        out.append(sample)
    return out


def _onehot(c):
    return [1. if i == c else 0. for i in range(4)]


def test_index_groups_rank_by_count():
    assert index_groups(COUNTS, (1, 3)).tolist() == [0, 1, 1, 2]
    # rank by count, ties by index: the class index on sorted labels
    assert index_groups([3, 200, 20, 50], (1, 3)).tolist() == [2, 0, 1, 1]
    assert index_groups([5, 5, 5, 5], (1, 3)).tolist() == [0, 1, 1, 2]


def test_branches_and_index_cutoffs():
    gts = [0, 1, 2, 3]
    avg = [_onehot(c) for c in (0, 1, 0, 0)]  # classes 0, 1 right
    cls = [_onehot(c) for c in (0, 1, 2, 0)]  # head expert: 0, 1, 2 right
    dist = [_onehot(c) for c in (1, 1, 2, 3)]  # tail expert: 1, 2, 3 right
    metric = ShotAccuracy(
        topk=(1, ),
        class_counts=COUNTS,
        branches=('cls', 'dist'),
        index_cutoffs=(1, 3))
    metric.process(None, _samples(gts, avg, cls=cls, dist=dist))
    m = metric.compute_metrics(metric.results)
    assert m['top1'] == 50
    assert (m['many'], m['medium'], m['few']) == (100, 50, 0)
    # head = class 0, mid = classes 1-2, tail = class 3
    assert (m['head'], m['mid'], m['tail']) == (100, 50, 0)
    assert m['cls_top1'] == 75 and m['dist_top1'] == 75
    assert (m['cls_many'], m['cls_medium'], m['cls_few']) == (100, 100, 0)
    assert (m['dist_head'], m['dist_mid'], m['dist_tail']) == (0, 100, 100)
    assert m['cls_mean_class_acc'] == 75
    assert metric.per_class['index_group'] == ['head', 'mid', 'mid', 'tail']


def test_defaults_unchanged_and_errors():
    gts = [0, 1]
    scores = [_onehot(0), _onehot(2)]
    plain = ShotAccuracy(topk=(1, ), class_counts=COUNTS)
    plain.process(None, _samples(gts, scores))
    assert len(plain.results[0]) == 3  # the stored tuple is unchanged
    with pytest.warns(UserWarning, match='no test class'):
        m = plain.compute_metrics(plain.results)
    assert not any(k.startswith(('cls_', 'head')) for k in m)
    assert set(m) == {'top1', 'mean_class_acc', 'many', 'medium', 'few', 'ece'}
    branchy = ShotAccuracy(topk=(1, ), class_counts=COUNTS, branches='cls')
    with pytest.raises(KeyError, match='pred_score_cls'):
        branchy.process(None, _samples(gts, scores))
    for bad in ((3, ), (3, 3), (0, 2), (2.5, 3)):
        with pytest.raises(ValueError, match='index_cutoffs'):
            ShotAccuracy(index_cutoffs=bad)
    only_head = ShotAccuracy(
        topk=(1, ), class_counts=COUNTS, index_cutoffs=(1, 3))
    with pytest.warns(UserWarning, match='"mid" group'):
        groups = only_head._group_accuracies(
            np.array([50., np.nan, np.nan, np.nan]),
            np.array([True, False, False, False]))
    assert groups['head'] == 50 and np.isnan(groups['mid'])
