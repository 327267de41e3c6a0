import json
import math

import numpy as np
import pytest
import torch

from mmlt.evaluation import ShotAccuracy
from mmlt.evaluation.metrics import expected_calibration_error

# 4 classes: counts 200 (many), 50 and 20 (medium), 3 (few)
COUNTS = [200, 50, 20, 3]


def _run(metric, gts, scores):
    samples = [
        dict(gt_label=torch.tensor([g]), pred_score=torch.tensor(s))
        for g, s in zip(gts, scores)
    ]
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def test_groups_topk_and_mean_class_acc():
    gts = [0, 0, 1, 1, 2, 3, 3, 3]
    # rows: predicted class = argmax; second best for top-2
    scores = [
        [.7, .1, .1, .1],  # gt0 correct
        [.1, .6, .2, .1],  # gt0 wrong (2nd: class 2)
        [.1, .7, .1, .1],  # gt1 correct
        [.6, .3, .05, .05],  # gt1 wrong (2nd: 1 -> top2 hit)
        [.1, .1, .5, .3],  # gt2 correct
        [.9, .0, .0, .1],  # gt3 wrong, top2 hit
        [.1, .1, .2, .6],  # gt3 correct
        [.5, .3, .1, .1],  # gt3 wrong
    ]
    m = _run(ShotAccuracy(topk=(1, 2), class_counts=COUNTS), gts, scores)
    assert m['top1'] == pytest.approx(4 / 8 * 100)
    assert m['top2'] == pytest.approx(6 / 8 * 100)
    # per-class: 1/2, 1/2, 1/1, 1/3
    assert m['mean_class_acc'] == pytest.approx((50 + 50 + 100 + 100 / 3) / 4)
    assert m['many'] == pytest.approx(50)
    assert m['medium'] == pytest.approx(75)  # 20 is medium (20 <= n <= 100)
    assert m['few'] == pytest.approx(100 / 3)


def test_ece_by_hand():
    # confidences .9 (correct), .6 (wrong), .65 (correct): 15 bins
    conf = np.array([.9, .6, .65])
    correct = np.array([1., 0., 1.])
    # bins: .9 -> (0.8667, 0.9333]; .6 and .65 -> (0.6, 0.6667]? .6 is the
    # right edge of bin (0.5333, 0.6] so it is alone.
    expected = (1 / 3) * abs(1 - .9) + (1 / 3) * abs(0 - .6) + \
        (1 / 3) * abs(1 - .65)
    assert expected_calibration_error(conf, correct, 15) == \
        pytest.approx(expected)
    # same bin: |mean acc - mean conf| weighted
    conf = np.array([.61, .65])
    correct = np.array([1., 0.])
    assert expected_calibration_error(conf, correct, 15) == \
        pytest.approx(abs(.5 - .63))


def test_empty_group_is_nan_with_warning():
    metric = ShotAccuracy(topk=(1, ), class_counts=[500, 300])
    with pytest.warns(UserWarning, match='"few" group'):
        m = _run(metric, [0, 1], [[.9, .1], [.2, .8]])
    assert math.isnan(m['few']) and math.isnan(m['medium'])
    assert m['many'] == 100


def test_counts_required_with_clear_message():
    metric = ShotAccuracy(topk=(1, ))
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        _run(metric, [0], [[1., 0.]])


def test_thresholds_are_configurable():
    metric = ShotAccuracy(
        topk=(1, ), class_counts=[50, 10, 2], many_thr=20, few_thr=5)
    m = _run(metric, [0, 1, 2], [[1, 0, 0], [1, 0, 0], [0, 0, 1]])
    assert (m['many'], m['medium'], m['few']) == (100, 0, 100)
    with pytest.raises(ValueError, match='few_thr'):
        ShotAccuracy(many_thr=10, few_thr=20)


def test_counts_from_ann_file_and_json_dump(tmp_path):
    (tmp_path / 'train.txt').write_text('a 0\nb 0\nc 1\n')
    out = tmp_path / 'pc' / 'per_class.json'
    metric = ShotAccuracy(
        topk=(1, ),
        ann_file=str(tmp_path / 'train.txt'),
        many_thr=1,
        few_thr=1,
        per_class_out=str(out))
    metric.dataset_meta = dict(classes=('cat', 'dog'))
    assert metric.class_counts.tolist() == [2, 1]
    _run(metric, [0, 1, 1], [[.9, .1], [.8, .2], [.3, .7]])
    dumped = json.loads(out.read_text())
    assert dumped['classes'] == ['cat', 'dog']
    assert dumped['accuracy'] == [100.0, 50.0]
    assert dumped['group'] == ['many', 'medium']
    assert dumped['test_counts'] == [1, 2]


def test_pred_label_only_has_no_ece():
    metric = ShotAccuracy(topk=(1, ), class_counts=[200, 3])
    metric.process(
        None, [dict(gt_label=torch.tensor([1]), pred_label=torch.tensor([1]))])
    m = metric.compute_metrics(metric.results)
    assert m['few'] == 100 and 'ece' not in m


def _strict_loads(text):

    def reject(name):
        raise ValueError(f'not strict JSON: {name}')

    return json.loads(text, parse_constant=reject)


def test_empty_group_is_null_in_per_class_json(tmp_path):
    out = tmp_path / 'per_class.json'
    metric = ShotAccuracy(
        topk=(1, ), class_counts=[500, 300], per_class_out=str(out))
    with pytest.warns(UserWarning, match='"few" group'):
        m = _run(metric, [0, 1], [[.9, .1], [.2, .8]])
    assert math.isnan(m['few'])  # the metric itself still reports NaN
    text = out.read_text()
    assert 'NaN' not in text
    dumped = _strict_loads(text)
    assert dumped['summary']['few'] is None
    assert dumped['summary']['medium'] is None
    assert dumped['summary']['many'] == 100
    assert math.isnan(metric.per_class['summary']['few'])  # in memory: NaN


def test_distribution_class_prior_by_hand():
    from mmlt.evaluation.metrics import distribution_class_prior

    # C = 4, IF = 8: IF^(-r/3) = 1, 1/2, 1/4, 1/8 for ranks 0..3
    np.testing.assert_allclose(
        distribution_class_prior([200, 50, 20, 3], 'forward8'),
        np.array([8, 4, 2, 1]) / 15)
    np.testing.assert_allclose(
        distribution_class_prior([200, 50, 20, 3], 'backward8'),
        np.array([1, 2, 4, 8]) / 15)
    # ranked by training count, not by class index
    np.testing.assert_allclose(
        distribution_class_prior([3, 200, 20, 50], 'forward8'),
        np.array([1, 8, 2, 4]) / 15)
    np.testing.assert_allclose(
        distribution_class_prior([3, 200, 20, 50], 'uniform'), [.25] * 4)
    # ties keep the class order; C = 2, IF = 4: 1 and 1/4
    np.testing.assert_allclose(
        distribution_class_prior([5, 5], 'forward4'), [.8, .2])
    np.testing.assert_allclose(
        distribution_class_prior([5, 5], 'backward4'), [.2, .8])


def test_test_agnostic_accuracy_by_hand():
    from mmlt.evaluation.metrics import SADE_TEST_DISTRIBUTIONS

    gts = [0, 0, 1, 1, 2, 3, 3, 3]
    scores = [
        [.7, .1, .1, .1],
        [.1, .6, .2, .1],
        [.1, .7, .1, .1],
        [.6, .3, .05, .05],
        [.1, .1, .5, .3],
        [.9, .0, .0, .1],
        [.1, .1, .2, .6],
        [.5, .3, .1, .1],
    ]
    metric = ShotAccuracy(
        topk=(1, ),
        class_counts=COUNTS,
        test_distributions=('forward8', 'uniform', 'backward8'))
    m = _run(metric, gts, scores)
    acc = [50, 50, 100, 100 / 3]  # per class, classes already in count order
    assert m['forward8'] == pytest.approx(
        (8 * acc[0] + 4 * acc[1] + 2 * acc[2] + 1 * acc[3]) / 15)
    assert m['forward8'] == pytest.approx(833.3333333 / 15)
    assert m['backward8'] == pytest.approx(
        (1 * acc[0] + 2 * acc[1] + 4 * acc[2] + 8 * acc[3]) / 15)
    assert m['uniform'] == pytest.approx(m['mean_class_acc'])
    # a class absent from the test set is left out, p renormalised
    metric = ShotAccuracy(
        topk=(1, ), class_counts=COUNTS, test_distributions='forward8')
    m = _run(metric, gts[:5], scores[:5])  # class 3 absent
    assert m['forward8'] == pytest.approx(
        (8 * acc[0] + 4 * acc[1] + 2 * acc[2]) / 14)
    assert SADE_TEST_DISTRIBUTIONS == ('forward50', 'forward25', 'forward10',
                                       'forward5', 'forward2', 'uniform',
                                       'backward2', 'backward5', 'backward10',
                                       'backward25', 'backward50')
    m = _run(
        ShotAccuracy(
            topk=(1, ),
            class_counts=COUNTS,
            test_distributions=SADE_TEST_DISTRIBUTIONS), gts, scores)
    assert all(name in m for name in SADE_TEST_DISTRIBUTIONS)


@pytest.mark.parametrize('name', ['sideways3', 'forward0.5', 'forward', 'LT'])
def test_bad_test_distribution_is_named(name):
    with pytest.raises(
            ValueError, match=rf"test_distributions: '{name}' is not"):
        ShotAccuracy(class_counts=COUNTS, test_distributions=[name])
