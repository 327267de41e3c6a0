"""Hooks in real (tiny) training runs on the shipped CIFAR-10-LT demo set."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.datasets.samplers import ClassBalancedSampler
from mmlt.models.utils import effective_number_weights
from ..._demo import DEMO_COUNTS
from ..._demo import tiny_demo_cfg as tiny_cfg


def test_class_counts_reach_swapped_drw_loss(demo_data_root, tmp_path):
    ldam = dict(type='LDAMLoss', max_m=0.5, s=30)
    cfg = tiny_cfg(demo_data_root, tmp_path, epochs=2)
    cfg.train_dataloader.dataset.indices = None
    cfg.train_dataloader.sampler = dict(
        type='ClassBalancedSampler', num_samples=32)
    cfg.model.head = dict(
        type='CosineClsHead', num_classes=10, in_channels=64, loss=ldam)
    cfg.custom_hooks = [
        dict(
            type='SwitchRecipeHook',
            schedule=[
                dict(
                    action_epoch=2, loss=dict(ldam, reweight='effective_num'))
            ]),
    ]
    runner = Runner.from_cfg(cfg)
    head = runner.model.head
    first = head.loss_module
    runner.train()
    swapped = head.loss_module
    assert swapped is not first and swapped.reweight == 'effective_num'
    # counts of the whole (unsubsampled) train set reached both losses
    assert first.class_counts.tolist() == DEMO_COUNTS
    assert swapped.class_counts.tolist() == DEMO_COUNTS
    assert swapped.weight is not None
    metric = runner.val_evaluator.metrics[0]
    assert metric.class_counts.tolist() == DEMO_COUNTS


def test_drw_hook_reweights_ldam(demo_data_root, tmp_path):
    """DRW as configs write it: one hook with one number."""
    cfg = tiny_cfg(demo_data_root, tmp_path, epochs=2)
    cfg.model.head = dict(
        type='CosineClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='LDAMLoss'))
    cfg.custom_hooks = [dict(type='DeferredReweightingHook', start_epoch=1)]
    weights = {}

    class Spy(Hook):

        def before_train_epoch(self, runner):
            weights[runner.epoch] = runner.model.head.loss_module.weight

    runner = Runner.from_cfg(cfg)
    runner.register_hook(Spy(), priority='LOWEST')
    runner.train()
    assert weights[0] is None
    counts = runner.model.head.loss_module.class_counts
    assert counts.tolist() == [7] * 4 + [7, 7, 7, 7, 7, 5]  # the subset
    torch.testing.assert_close(weights[1], effective_number_weights(counts))


def test_deferred_resampling_switches_sampler(demo_data_root, tmp_path):
    cfg = tiny_cfg(demo_data_root, tmp_path, epochs=3)
    cfg.train_dataloader.dataset.indices = None
    cfg.train_dataloader.sampler = dict(
        type='ClassPriorSampler', q=1., num_samples=48)
    cfg.custom_hooks = [
        dict(
            type='DeferredResamplingHook',
            action_epoch=3,
            sampler=dict(type='ClassBalancedSampler', num_samples=48)),
    ]
    seen = {}

    runner = Runner.from_cfg(cfg)

    class Spy(Hook):

        def before_train_epoch(self, runner):
            seen[runner.epoch] = type(
                runner.train_loop.dataloader.batch_sampler.sampler).__name__

    runner.register_hook(Spy(), priority='LOWEST')
    runner.train()
    assert seen == {
        0: 'ClassPriorSampler',
        1: 'ClassPriorSampler',
        2: 'ClassBalancedSampler'
    }
    loader = runner.train_loop.dataloader
    assert isinstance(loader.sampler, ClassBalancedSampler)
    assert loader.sampler.epoch == 2


def test_hook_without_train_set_fails_clearly(tmp_path):
    from mmlt.engine.hooks import ClassCountsHook

    class FakeRunner:
        _train_loop = None
        cfg = Config(dict(train_dataloader=None))

    with pytest.raises(RuntimeError, match='train_dataloader.dataset'):
        ClassCountsHook()._get_counts(FakeRunner())
    hook = ClassCountsHook(class_counts=[3, 2])
    np.testing.assert_array_equal(hook._get_counts(FakeRunner()), [3, 2])


def test_hook_names_empty_train_classes(tmp_path):
    from mmengine.logging import MMLogger

    from mmlt.datasets import LTListDataset
    from mmlt.engine.hooks import ClassCountsHook

    (tmp_path / 'l.txt').write_text('a 0\nb 1\n')
    ds = LTListDataset(
        data_root=str(tmp_path),
        ann_file='l.txt',
        metainfo=dict(classes=('cat', 'dog', 'owl')))

    class Loop:
        dataloader = type('Loader', (), {'dataset': ds})

    class FakeRunner:
        _train_loop = Loop()
        logger = MMLogger.get_instance('test_hook_names_empty_train_classes')

    messages = []
    FakeRunner.logger.warning = messages.append
    counts = ClassCountsHook()._get_counts(FakeRunner())
    assert counts.tolist() == [1, 1, 0]
    assert len(messages) == 1
    assert 'train split' in messages[0]
    assert 'class 2 (owl) has 0 training images' in messages[0]


@pytest.mark.parametrize('loss', ['LDAMLoss', 'LogitAdjustedLoss'])
def test_head_num_classes_differs_from_class_counts(loss):
    """A 100-way head on a 10-class train set fails before the first
    iteration, naming both numbers."""
    from mmlt.engine.hooks import ClassCountsHook
    from mmlt.registry import MODELS

    head = MODELS.build(
        dict(
            type='CosineClsHead',
            num_classes=100,
            in_channels=8,
            loss=dict(type=loss)))

    class FakeRunner:
        model = torch.nn.Sequential(head)
        _val_loop = _test_loop = None

    hook = ClassCountsHook(class_counts=[5] * 10)
    with pytest.raises(
            ValueError,
            match=rf'CosineClsHead \(0\) has num_classes=100 but its {loss} '
            r'got class counts for 10 classes'):
        hook.before_train(FakeRunner())
    assert head.loss_module.class_counts.tolist() == [5] * 10
    head.num_classes = 10  # matching head: no error
    hook.before_train(FakeRunner())


def test_metric_without_class_counts_fails_before_training():
    from mmlt.engine.hooks import ClassCountsHook, check_class_counts_source

    def runner(hooks, **cfg):
        base = dict(val_dataloader=dict(), test_dataloader=dict())
        base.update(cfg)
        return type('FakeRunner', (), {'hooks': hooks, 'cfg': Config(base)})()

    shot = dict(type='ShotAccuracy', topk=(1, 5))
    with pytest.raises(
            ValueError,
            match=r'val_evaluator: ShotAccuracy needs the per-class '
            r'training counts, but the runner has no ClassCountsHook'):
        check_class_counts_source(runner([], val_evaluator=shot))
    with pytest.raises(ValueError, match='test_evaluator: ShotAccuracy'):
        check_class_counts_source(
            runner([], test_evaluator=[dict(type='Accuracy'), shot]),
            ('test_evaluator', ))
    with pytest.raises(ValueError, match='ShotAccuracy'):
        check_class_counts_source(
            runner([], val_evaluator=dict(type='Evaluator', metrics=[shot])))
    # counts will arrive, or are not needed: no error
    check_class_counts_source(runner([ClassCountsHook()], val_evaluator=shot))
    check_class_counts_source(
        runner([], val_evaluator=dict(shot, class_counts=[3, 2])))
    check_class_counts_source(
        runner([], val_evaluator=dict(shot, ann_file='train.txt')))
    check_class_counts_source(
        runner([], val_evaluator=shot, val_dataloader=None))
    check_class_counts_source(runner([], val_evaluator=dict(type='Accuracy')))
    check_class_counts_source(
        runner([], val_evaluator=dict(type='NoSuchMetric')))
