# Copyright (c) mmlt contributors. All rights reserved.
"""The APA classifier: cosine head with squash features (fixed s=16 or
learnable s^2 with s=5) and the IIF post-hoc offset, against hand values
(spec section 1.3, "Classifier activation")."""
import math

import pytest
import torch
from mmpretrain.structures import DataSample

from mmlt.models.heads import CosineClsHead


def _head(**kwargs):
    head = CosineClsHead(num_classes=3, in_channels=2, **kwargs)
    with torch.no_grad():  # class directions (1, 0), (0, 2) -> (0, 1), (1, 1)
        head.fc.weight.copy_(torch.tensor([[1., 0.], [0., 2.], [1., 1.]]))
    return head


def test_squash_cosine_logits_by_hand():
    head = _head(scale=16, feature_norm='squash')
    x = torch.tensor([[3., 4.], [0., 0.]])  # |x| = 5 and 0
    logits = head((x, ))
    # squash: (|x| / (1 + |x|)) * x / |x| = x / 6 -> (0.5, 2/3)
    expected = [16 * 0.5, 16 * (2 / 3), 16 * (0.5 + 2 / 3) / math.sqrt(2)]
    assert logits[0].tolist() == pytest.approx(expected, rel=1e-6)
    assert logits[1].tolist() == [0., 0., 0.]
    # 'l2' for comparison: x / |x| = (0.6, 0.8)
    l2 = _head(scale=16)((x[:1], ))
    assert l2[0].tolist() == pytest.approx(
        [16 * 0.6, 16 * 0.8, 16 * 1.4 / math.sqrt(2)], rel=1e-6)


def test_learnable_scale_s_squared():
    head = _head(scale=25, learnable_scale=True, feature_norm='squash')
    assert head.fc.scale_param.item() == pytest.approx(5.)  # s = 5, logit s^2
    x = torch.tensor([[3., 4.]])
    logits = head((x, ))
    assert logits[0, 0].item() == pytest.approx(25 * 0.5, rel=1e-6)
    logits[0, 0].backward()
    # d(s^2 * c)/ds = 2 s c with c = 0.5
    assert head.fc.scale_param.grad.item() == pytest.approx(
        2 * 5 * 0.5, rel=1e-6)


def test_iif_offset_at_test_time_only():
    counts = [100, 10, 1]
    head = _head(
        scale=16, feature_norm='squash', posthoc='iif', class_counts=counts)
    x = torch.tensor([[3., 4.]])
    raw = head((x, ))
    n = sum(counts)
    iif = [math.log((n - c) / c) for c in counts]  # ln((N - n_c) / n_c)
    preds = head.predict((x, ))
    assert preds[0].pred_score.shape == (3, )
    expected_logits = [r + o for r, o in zip(raw[0].tolist(), iif)]
    expected = torch.tensor(expected_logits).softmax(0)
    torch.testing.assert_close(preds[0].pred_score, expected)
    # training uses the raw logits: plain CE
    sample = DataSample().set_gt_label(2)
    loss = head.loss((x, ), [sample])['loss']
    assert loss.item() == pytest.approx(
        -math.log(raw[0].softmax(0)[2].item()), rel=1e-5)


def test_iif_needs_counts():
    head = _head(scale=16, feature_norm='squash', posthoc='iif')
    with pytest.raises(RuntimeError, match='needs the per-class training'):
        head.predict((torch.ones(1, 2), ))
