"""Hooks in real (tiny) training runs on the shipped CIFAR-10-LT demo set."""
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.datasets.samplers import ClassBalancedSampler

DEMO_CFG = 'configs/demo/balanced-softmax_r32_1xb64-40e_cifar10lt-demo.py'
DEMO_COUNTS = [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]


def subset(counts, per_class):
    """The first ``per_class`` indices of each class of a class-sorted list."""
    starts = np.cumsum([0] + list(counts[:-1]))
    return [int(s + j) for s, n in zip(starts, counts)
            for j in range(min(n, per_class))]


def tiny_cfg(data_root, work_dir, epochs=2, **overrides):
    cfg = Config.fromfile(DEMO_CFG)
    cfg.work_dir = str(work_dir)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.data_root = str(data_root)
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    # a few images of every class: 4 iterations per epoch
    cfg.train_dataloader.batch_size = 16
    cfg.train_dataloader.dataset.indices = subset(DEMO_COUNTS, 7)
    cfg.val_dataloader.dataset.indices = subset([200] * 10, 4)
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.merge_from_dict(overrides)
    return cfg


def test_class_counts_reach_swapped_drw_loss(demo_data_root, tmp_path):
    ldam = dict(type='LDAMLoss', max_m=0.5, s=30)
    cfg = tiny_cfg(demo_data_root, tmp_path, epochs=2)
    cfg.train_dataloader.dataset.indices = None
    cfg.train_dataloader.sampler = dict(type='ClassBalancedSampler',
                                        num_samples=32)
    cfg.model.head = dict(type='CosineClsHead', num_classes=10,
                          in_channels=64, loss=ldam)
    cfg.custom_hooks = [
        dict(type='SwitchRecipeHook',
             schedule=[dict(action_epoch=2,
                            loss=dict(ldam, reweight='effective_num'))]),
        dict(type='ClassCountsHook'),
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


def test_deferred_resampling_switches_sampler(demo_data_root, tmp_path):
    cfg = tiny_cfg(demo_data_root, tmp_path, epochs=3)
    cfg.train_dataloader.dataset.indices = None
    cfg.train_dataloader.sampler = dict(type='ClassPriorSampler', q=1.,
                                        num_samples=48)
    cfg.custom_hooks = [
        dict(type='DeferredResamplingHook', action_epoch=3,
             sampler=dict(type='ClassBalancedSampler', num_samples=48)),
        dict(type='ClassCountsHook'),
    ]
    seen = {}

    runner = Runner.from_cfg(cfg)

    class Spy(Hook):

        def before_train_epoch(self, runner):
            seen[runner.epoch] = type(
                runner.train_loop.dataloader.batch_sampler.sampler).__name__

    runner.register_hook(Spy(), priority='LOWEST')
    runner.train()
    assert seen == {0: 'ClassPriorSampler', 1: 'ClassPriorSampler',
                    2: 'ClassBalancedSampler'}
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
