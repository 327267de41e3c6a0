# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE's router targets and RIDERouterLoss against hand values."""
import logging
import math

import pytest
import torch
from mmengine.logging import MMLogger

import mmlt  # noqa: F401
from mmlt.models.losses import RIDERouterLoss, ride_router_targets

MMLogger.get_current_instance().setLevel(logging.WARNING)

# running sums of the expert logits (label 0 everywhere); expert k's logits
# are the differences. correct_k = argmax(running sum up to k) == 0.
RUNNING = torch.tensor([
    [[3., 1, 0], [3, 4, 0], [3, 4, 5]],  # T F F -> targets 0 0
    [[1., 3, 0], [5, 3, 0], [5, 3, 9]],  # F T F -> 1 0
    [[0., 2, 0], [1, 3, 0], [6, 3, 0]],  # F F T -> 1 1
    [[0., 2, 0], [0, 4, 1], [0, 5, 1]],  # F F F -> 0 0
    [[0., 0, 2], [4, 0, 2], [4, 0, 9]],  # F T F -> 1 0
    [[3., 0, 1], [3, 5, 1], [8, 5, 1]],  # T F T -> 0 1
])
EXPERT_LOGITS = torch.diff(RUNNING, dim=1, prepend=torch.zeros(6, 1, 3))
LABELS = torch.zeros(6, dtype=torch.long)
TARGETS = [[0, 0], [1, 0], [1, 1], [0, 0], [1, 0], [0, 1]]


def test_router_targets_on_hand_made_batch():
    targets = ride_router_targets(EXPERT_LOGITS, LABELS)
    assert targets.tolist() == TARGETS
    # the targets depend on the running mean, not on single experts
    assert ride_router_targets(EXPERT_LOGITS * 2, LABELS).tolist() == TARGETS


def test_router_loss_by_hand():
    router_logits = torch.tensor([[0.5, -1.], [2., 0.], [-0.3, 1.5], [0., 0.],
                                  [1., -2.], [-1., 0.7]])
    loss = RIDERouterLoss(pos_weight=100.)(router_logits, EXPERT_LOGITS,
                                           LABELS)
    total = 0.
    for i in range(6):
        for k in range(2):
            r, t = float(router_logits[i, k]), TARGETS[i][k]
            sig = 1 / (1 + math.exp(-r))
            total += -(100. * t * math.log(sig) + (1 - t) * math.log(1 - sig))
    assert loss.item() == pytest.approx(total / 12, rel=1e-5)
    with pytest.raises(
            ValueError, match=r'router_logits must be \(N, K - 1\)'):
        RIDERouterLoss()(router_logits[:, :1], EXPERT_LOGITS, LABELS)
    with pytest.raises(ValueError, match='pos_weight must be positive'):
        RIDERouterLoss(pos_weight=0)
