# Copyright (c) mmlt contributors. All rights reserved.
"""ClusteringMetric on hand-made assignments (values computed by hand)."""
import json
import math

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmlt.evaluation import (ClusteringMetric, adjusted_rand_index,
                             head_medium_tail, hungarian_match,
                             normalized_mutual_info)
from mmlt.registry import METRICS

# 6 samples, 3 classes; clusters are a relabelling with one mistake
GT = np.array([0, 0, 0, 1, 1, 2])
PRED = np.array([2, 2, 1, 0, 0, 1])


def test_hungarian_matching_by_hand():
    # votes: cluster 2 -> class 0 (2), cluster 0 -> class 1 (2),
    # cluster 1 -> class 0 (1) or class 2 (1): best total 5 needs 1 -> 2
    np.testing.assert_array_equal(hungarian_match(PRED, GT, 3, 3), [1, 2, 0])
    # more clusters than classes: the extra cluster is unmatched (-1)
    mapping = hungarian_match(
        np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]), 4, 2)
    assert sorted(mapping.tolist()) == [-1, -1, 0, 1]


def test_nmi_and_ari_by_hand():
    h_gt = -(0.5 * math.log(0.5) + 2 / 6 * math.log(2 / 6) +
             1 / 6 * math.log(1 / 6))
    h_pred = math.log(3)
    mi = 2 / 6 * math.log(2) + 2 / 6 * math.log(3) + 1 / 6 * math.log(3)
    assert normalized_mutual_info(GT, PRED) == pytest.approx(
        mi / ((h_gt + h_pred) / 2), rel=1e-12)  # 0.73966
    # pairs within cells 2, row pairs 4, column pairs 3, all pairs 15
    expected = 4 * 3 / 15
    assert adjusted_rand_index(GT, PRED) == pytest.approx(
        (2 - expected) / (3.5 - expected), rel=1e-12)  # 0.4444
    # label permutations do not matter; perfect and trivial cases
    assert normalized_mutual_info(GT, GT + 5) == pytest.approx(1.0)
    assert adjusted_rand_index(GT, 2 - GT) == pytest.approx(1.0)
    assert normalized_mutual_info(GT, np.zeros(6, int)) == 0.0
    assert adjusted_rand_index(GT, np.zeros(6, int)) == 0.0


def test_metric_values_by_hand(tmp_path):
    out = tmp_path / 'matching.json'
    metric = ClusteringMetric(num_classes=3, matching_out=str(out))
    res = metric.compute(PRED, GT)
    assert res['acc'] == pytest.approx(100 * 5 / 6)
    assert res['mean_acc'] == pytest.approx(100 * (2 / 3 + 1 + 1) / 3)
    # F1: class 0 P=1 R=2/3; class 1 P=R=1; class 2 P=1/2 R=1
    assert res['f1'] == pytest.approx(100 * (0.8 + 1 + 2 / 3) / 3)
    # K = 3: int(0.9) = 0 head and tail classes, all medium
    assert math.isnan(res['head']) and math.isnan(res['tail'])
    assert res['medium'] == pytest.approx(res['mean_acc'])
    saved = json.loads(out.read_text())
    assert saved['cluster_to_class'] == [1, 2, 0]
    assert saved['class_support'] == [3, 2, 1]
    np.testing.assert_array_equal(metric.matching, [1, 2, 0])


def test_head_medium_tail_groups():
    np.testing.assert_array_equal(
        head_medium_tail(10), [0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    groups = head_medium_tail(100)
    assert np.bincount(groups).tolist() == [30, 40, 30]
    assert np.bincount(head_medium_tail(7)).tolist() == [2, 3, 2]
    # 10 classes, 2 samples each, clusters = classes shifted by 3; one sample
    # of class 9 lands in class 0's cluster
    gt = np.repeat(np.arange(10), 2)
    pred = (gt + 3) % 10
    pred[-1] = 3
    res = ClusteringMetric(num_classes=10).compute(pred, gt)
    assert res['head'] == pytest.approx(100.0)
    assert res['medium'] == pytest.approx(100.0)
    assert res['tail'] == pytest.approx(100 * (1 + 1 + 0.5) / 3)
    assert res['mean_acc'] == pytest.approx(95.0)
    assert res['acc'] == pytest.approx(95.0)


def test_mean_acc_differs_from_acc_on_imbalanced_sets():
    gt = np.array([0] * 8 + [1] * 2)
    pred = np.array([0] * 8 + [0, 1])
    res = ClusteringMetric().compute(pred, gt)
    assert res['acc'] == pytest.approx(90.0)
    assert res['mean_acc'] == pytest.approx(75.0)


def test_process_and_evaluate_through_mmengine():
    metric = METRICS.build(dict(type='ClusteringMetric', num_classes=3))
    samples = []
    for p, g in zip(PRED, GT):
        s = DataSample().set_gt_label(int(g)).set_pred_label(int(p))
        s.set_field(torch.tensor([p, g]), 'head_labels')
        samples.append(s.to_dict())
    metric.process(None, samples[:4])
    metric.process(None, samples[4:])
    res = metric.evaluate(6)
    assert res['cluster/acc'] == pytest.approx(100 * 5 / 6)
    assert res['cluster/head0_mean_acc'] == pytest.approx(100 *
                                                          (2 / 3 + 1 + 1) / 3)
    assert res['cluster/head1_mean_acc'] == pytest.approx(100.0)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match='num_classes'):
        ClusteringMetric(num_classes=1)
    with pytest.raises(ValueError, match='num_classes = 3'):
        ClusteringMetric(num_classes=3).compute(
            np.array([0, 3]), np.array([0, 1]))
    with pytest.raises(ValueError, match='same length'):
        ClusteringMetric().compute(np.array([0, 1]), np.array([0]))
