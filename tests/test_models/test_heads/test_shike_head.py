# Copyright (c) mmlt contributors. All rights reserved.
"""SHIKEHead: two classifier sets, the stage saved with the weights."""
import pytest
import torch
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.registry import MODELS

COUNTS = [8, 4, 2, 1]


def _head():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='SHIKEHead', num_classes=4, in_channels=6, num_experts=3))
    head.stage2_loss.set_class_counts(COUNTS)
    return head


def test_stage_switch_and_losses():
    head = _head()
    feats = (torch.randn(5, 3, 6), )
    samples = [DataSample().set_gt_label(i % 4) for i in range(5)]
    assert set(head.loss(feats,
                         samples)) == {'loss_ce', 'loss_hns', 'loss_mutual'}
    stage1 = head(feats)
    head.set_stage(2)
    stage2 = head(feats)
    assert not torch.allclose(stage1, stage2)  # fresh classifiers
    expected = torch.stack(
        [head.rt_classifiers[k](feats[0][:, k]) for k in range(3)],
        dim=1).mean(1)
    torch.testing.assert_close(stage2, expected)
    # stage 2: Balanced Softmax of every expert, summed
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_stage2'}
    logits = head.forward_experts(feats)
    target = torch.tensor([i % 4 for i in range(5)])
    log_n = torch.log(torch.tensor(COUNTS, dtype=torch.float32))
    by_hand = sum(
        torch.nn.functional.cross_entropy(logits[:, k] + log_n, target)
        for k in range(3))
    torch.testing.assert_close(losses['loss_stage2'], by_hand)
    with pytest.raises(ValueError, match='stage must be 1 or 2'):
        head.set_stage(3)


def test_stage_is_saved_and_restored():
    head = _head()
    head.set_stage(2)
    state = head.state_dict()
    assert int(state['stage']) == 2
    fresh = _head()
    assert fresh.active_classifiers is fresh.classifiers
    fresh.load_state_dict(state)
    assert fresh.active_classifiers is fresh.rt_classifiers
