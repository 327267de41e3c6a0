"""FiniteLossHook in tiny real training runs on the CIFAR-10-LT demo set."""
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.engine.hooks import FiniteLossHook, NonFiniteLossError
from mmlt.models.layers import AGLU
from ..._demo import tiny_demo_cfg

REPO = Path(__file__).resolve().parents[3]


def _cfg(demo_data_root, work_dir, epochs=2):
    cfg = tiny_demo_cfg(demo_data_root, work_dir, epochs=epochs)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    return cfg


class LossSpy(Hook):
    """Records each iteration's total loss (as RuntimeInfoHook syncs it)."""

    def __init__(self):
        self.losses = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.losses.append(float(outputs['loss'].detach()))


def test_default_runtime_has_the_hook(demo_data_root, tmp_path):
    runner = Runner.from_cfg(_cfg(demo_data_root, tmp_path))
    hooks = [type(h).__name__ for h in runner.hooks]
    assert 'FiniteLossHook' in hooks and 'SyncBuffersHook' in hooks
    # after the per iteration sync of the loss values; at an epoch end
    # before the buffers are averaged over ranks and before the checkpoint
    # is written (validation runs after all after_train_epoch hooks)
    assert hooks.index('RuntimeInfoHook') < hooks.index('FiniteLossHook')
    assert hooks.index('FiniteLossHook') < hooks.index('SyncBuffersHook')
    assert hooks.index('SyncBuffersHook') < hooks.index('CheckpointHook')


def test_huge_lr_stops_at_the_first_nan_loss(demo_data_root, tmp_path):
    """A good first epoch, then lr x 1e8: the error names the loss term and
    the exact iteration; no checkpoint of the failed epoch is written."""
    cfg = _cfg(demo_data_root, tmp_path, epochs=3)
    cfg.param_scheduler = [
        dict(type='MultiStepLR', milestones=[1], gamma=1e30, by_epoch=True)
    ]
    runner = Runner.from_cfg(cfg)
    n = len(runner.train_dataloader)  # iterations per epoch
    spy = LossSpy()
    runner.register_hook(spy, priority='VERY_HIGH')  # after RuntimeInfoHook
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    first_bad = next(
        i for i, v in enumerate(spy.losses) if not math.isfinite(v)) + 1
    assert first_bad == len(spy.losses)  # stopped at the first one
    assert n < first_bad <= 2 * n  # epoch 1 was finite, epoch 2 not
    assert (f'at iteration {first_bad} (epoch 2, batch {first_bad - n}/{n})'
            in msg), msg
    # ImageClassifier's loss dict has the one term ``loss``
    assert 'Non-finite loss term(s): loss.' in msg, msg
    assert 'parameter tensors are non-finite' in msg, msg
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_1.pth']
    assert (tmp_path /
            'last_checkpoint').read_text().strip().endswith('epoch_1.pth')


def test_nan_aglu_lambda_is_named(demo_data_root, tmp_path):
    runner = Runner.from_cfg(_cfg(demo_data_root, tmp_path, epochs=1))
    runner.model.backbone.relu = AGLU()
    with torch.no_grad():
        runner.model.backbone.relu.lambda_param.fill_(float('nan'))
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    assert 'before the first iteration' in msg, msg
    assert '1 of ' in msg and msg.count('backbone.') == 1, msg
    assert 'backbone.relu.lambda_param' in msg, msg
    assert not list(tmp_path.glob('*.pth'))


def test_nan_lambda_during_training_is_caught_at_that_iteration(
        demo_data_root, tmp_path):
    """A parameter that turns NaN mid-epoch: the next loss is NaN."""
    runner = Runner.from_cfg(_cfg(demo_data_root, tmp_path, epochs=1))
    runner.model.backbone.relu = AGLU()

    class Poison(Hook):

        def after_train_iter(self,
                             runner,
                             batch_idx,
                             data_batch=None,
                             outputs=None):
            if runner.iter == 1:  # after the 2nd iteration
                with torch.no_grad():
                    runner.model.backbone.relu.kappa_param.fill_(float('nan'))

    runner.register_hook(Poison(), priority='LOWEST')
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    assert 'at iteration 3 (epoch 1, batch 3/5)' in msg, msg
    assert 'backbone.relu.kappa_param' in msg, msg
    assert not list(tmp_path.glob('*.pth'))


def test_nan_parameters_at_epoch_end_are_not_saved(demo_data_root, tmp_path):
    """Parameters that turn NaN after the last loss of an epoch (as under
    DDP when another rank's gradient was NaN) stop before the save."""
    runner = Runner.from_cfg(_cfg(demo_data_root, tmp_path, epochs=1))

    class Poison(Hook):

        def after_train_iter(self,
                             runner,
                             batch_idx,
                             data_batch=None,
                             outputs=None):
            if runner.iter == 4:  # the last iteration
                with torch.no_grad():
                    runner.model.head.fc.bias.fill_(float('inf'))

    runner.register_hook(Poison(), priority='LOWEST')
    with pytest.raises(NonFiniteLossError, match='end of epoch 1') as err:
        runner.train()
    assert 'head.fc.bias' in str(err.value)
    assert not list(tmp_path.glob('*.pth'))


class FakeHub:
    log_scalars = {}


class FakeRunner:
    message_hub = FakeHub()
    model = torch.nn.Linear(2, 2)
    iter = 6
    epoch = 1
    train_dataloader = [0, 1, 2, 3, 4]
    optim_wrapper = None


def test_names_the_nonfinite_terms_of_a_multi_term_loss():
    nan, inf = float('nan'), float('inf')
    outputs = dict(
        loss=torch.tensor(nan),
        loss_ind=torch.tensor(1.5),
        loss_div=torch.tensor(nan),
        loss_distill=torch.tensor(inf),
        acc=torch.tensor(nan))
    with pytest.raises(NonFiniteLossError) as err:
        FiniteLossHook().after_train_iter(FakeRunner(), 1, outputs=outputs)
    msg = str(err.value)
    assert ('at iteration 7 (epoch 2, batch 2/5): loss_div=nan, '
            'loss_distill=inf (total loss=nan); also non-finite: acc=nan'
            in msg), msg
    assert 'Non-finite loss term(s): loss_div, loss_distill.' in msg, msg
    assert 'loss_ind' not in msg
    assert 'All parameters are still finite' in msg
    # finite values pass; non-loss log values alone do not stop training
    FiniteLossHook().after_train_iter(
        FakeRunner(), 1, outputs=dict(loss=torch.tensor(1.), acc=nan))


def test_amp_skipped_step_only_warns():
    from mmengine.optim import AmpOptimWrapper
    runner = FakeRunner()
    runner.optim_wrapper = AmpOptimWrapper.__new__(AmpOptimWrapper)
    warnings = []
    runner.logger = type('L', (), {'warning': warnings.append})()
    hook = FiniteLossHook()
    hook.after_train_iter(
        runner, 0, outputs=dict(loss=torch.tensor(float('inf'))))
    assert warnings and 'loss=inf' in warnings[0]
    runner.optim_wrapper = None
    with pytest.raises(NonFiniteLossError, match='iteration 7'):
        hook.after_train_iter(
            runner, 0, outputs=dict(loss=torch.tensor(float('inf'))))


def test_train_tool_exits_nonzero(demo_data_root, tmp_path):
    cfg = _cfg(demo_data_root, tmp_path / 'work', epochs=1)
    config = tmp_path / 'cfg.py'
    cfg.dump(str(config))
    proc = subprocess.run([
        sys.executable, 'tools/train.py',
        str(config), '--cfg-options', 'optim_wrapper.optimizer.lr=1e8'
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert re.search(
        r'NonFiniteLossError: FiniteLossHook: non-finite loss '
        r'at iteration \d+ \(epoch 1', out), out[-3000:]
    assert not list((tmp_path / 'work').rglob('*.pth'))
