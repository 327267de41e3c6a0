# Copyright (c) mmlt contributors. All rights reserved.
"""LossWeightRampHook: MDCS's consistency weight 0.6 * min(epoch / 20, 1)
(1-based epochs), through a model wrapper."""
from types import SimpleNamespace

import pytest
import torch.nn as nn

from mmlt.engine.hooks import LossWeightRampHook
from mmlt.models.losses import MDCSLoss


def test_ramp_at_epochs_1_10_20_30():
    model = nn.Sequential(nn.Linear(2, 2), MDCSLoss())
    hook = LossWeightRampHook(name='cs_weight', max_value=0.6, ramp_epochs=20)
    seen = {}
    for epoch in (1, 10, 20, 30):  # 1-based, as MDCS counts
        hook.before_train_epoch(
            SimpleNamespace(model=nn.DataParallel(model), epoch=epoch - 1))
        seen[epoch] = model[1].cs_weight
    assert seen == pytest.approx({1: 0.03, 10: 0.3, 20: 0.6, 30: 0.6})


def test_errors():
    with pytest.raises(ValueError, match='ramp_epochs must be an int >= 1'):
        LossWeightRampHook(name='cs_weight', max_value=1., ramp_epochs=0)
    with pytest.raises(TypeError, match='no module with `cs_weight`'):
        LossWeightRampHook(
            name='cs_weight', max_value=1., ramp_epochs=2).before_train_epoch(
                SimpleNamespace(model=nn.Linear(2, 2), epoch=0))
