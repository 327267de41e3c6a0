# Copyright (c) mmlt contributors. All rights reserved.
"""The meta-masking curriculum p_e = 1 - e/E, set by a hook."""
from types import SimpleNamespace
from unittest import mock

import pytest
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

import mmlt  # noqa: F401
from mmlt.engine.hooks import MetaMaskCurriculumHook, meta_mask_prob
from mmlt.registry import HOOKS


def fake_runner(epoch,
                max_epochs,
                loop_cls=EpochBasedTrainLoop,
                it=0,
                max_iters=1):
    loop = mock.MagicMock(spec=loop_cls)
    return SimpleNamespace(
        model=SimpleNamespace(meta_mask_prob=0.),
        epoch=epoch,
        max_epochs=max_epochs,
        iter=it,
        max_iters=max_iters,
        train_loop=loop,
        logger=mock.MagicMock(),
        message_hub=mock.MagicMock())


@pytest.mark.parametrize('epoch, expected', [(0, 1.0), (5, 0.5), (9, 0.1)])
def test_linear_curriculum_first_mid_last(epoch, expected):
    hook = HOOKS.build(dict(type='MetaMaskCurriculumHook'))
    runner = fake_runner(epoch, 10)
    hook.before_train_epoch(runner)
    assert runner.model.meta_mask_prob == pytest.approx(expected)
    msg = runner.logger.info.call_args[0][0]
    assert f'epoch {epoch + 1}/10' in msg and f'{expected:.4f}' in msg
    hook.before_train_iter(runner, 0)
    runner.message_hub.update_scalar.assert_called_with(
        'train/meta_mask_prob', pytest.approx(expected))


def test_config_keys_honoured():
    # start at 0.6: 0.6 - e/E, clamped at 0
    hook = MetaMaskCurriculumHook(mask_prob=0.6)
    probs = []
    for epoch in (0, 3, 8):
        runner = fake_runner(epoch, 10)
        hook.before_train_epoch(runner)
        probs.append(runner.model.meta_mask_prob)
    assert probs == pytest.approx([0.6, 0.3, 0.])
    const = MetaMaskCurriculumHook(mask_prob=0.25, mask_type='constant')
    runner = fake_runner(7, 10)
    const.before_train_epoch(runner)
    assert runner.model.meta_mask_prob == 0.25
    assert meta_mask_prob(0.5, 0., 'linear') == 0.
    with pytest.raises(ValueError, match='mask_type'):
        MetaMaskCurriculumHook(mask_type='cosine')
    with pytest.raises(ValueError, match='mask_prob'):
        MetaMaskCurriculumHook(mask_prob=1.5)


def test_iteration_based_progress():
    hook = MetaMaskCurriculumHook()
    runner = fake_runner(0, 1, IterBasedTrainLoop, it=250, max_iters=1000)
    hook.before_train_epoch(runner)  # ignored for iteration loops
    assert runner.model.meta_mask_prob == 0.
    hook.before_train_iter(runner, 0)
    assert runner.model.meta_mask_prob == pytest.approx(0.75)


def test_model_without_meta_rejected():
    runner = fake_runner(0, 10)
    runner.model = SimpleNamespace()
    with pytest.raises(TypeError, match='meta_mask_prob'):
        MetaMaskCurriculumHook().before_train_epoch(runner)
