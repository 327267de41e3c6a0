# Copyright (c) mmlt contributors. All rights reserved.
"""ExpertUsage: experts used per sample."""
import pytest

from mmlt.evaluation.metrics import ExpertUsage


def test_expert_usage_metric():
    metric = ExpertUsage()
    metric.process(
        None, [dict(num_experts_used=k, num_experts=3) for k in (1, 1, 2)])
    out = metric.compute_metrics(metric.results)
    # frac_3 is reported (0) although no sample used 3 experts
    assert out == pytest.approx(
        dict(avg=4 / 3, frac_1=2 / 3, frac_2=1 / 3, frac_3=0.))
    with pytest.raises(KeyError, match='num_experts_used'):
        metric.process(None, [dict(pred_label=1)])
    with pytest.raises(ValueError, match=r'outside \[1, num_experts\]'):
        metric.compute_metrics([(4, 3)])
    plain = ExpertUsage()
    plain.process(None, [dict(num_experts_used=2)] * 2)
    assert plain.compute_metrics(plain.results) == dict(
        avg=2.0, frac_1=0., frac_2=1.)
