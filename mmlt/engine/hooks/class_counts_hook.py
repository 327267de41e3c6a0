# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import numpy as np
from mmengine.dist import broadcast_object_list, get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import DATASETS, HOOKS, METRICS
from mmlt.utils import class_names_of, empty_classes_text, get_class_counts


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Give the per-class training counts to every component that needs them.

    Counts are read once, when some component first needs them, from the
    train dataset (unwrapping ``ClassBalancedDataset`` / ``RepeatDataset``,
    see :func:`mmlt.utils.get_class_counts`), broadcast from rank 0 so all
    ranks agree, and passed to ``set_class_counts(counts)`` of every model
    module and evaluator metric that has that method and no counts yet
    (``class_counts is None``); when no component needs them, the train set
    is not read. It runs after :class:`SwitchRecipeHook` at each epoch
    start, so a loss swapped in by a recipe switch gets the counts too. For
    ``tools/test.py`` the train dataset is built from
    ``train_dataloader.dataset`` in the config (annotations only).

    mmlt's ``configs/_base_/default_runtime.py`` lists it in
    ``default_hooks`` (key ``class_counts``), so configs never repeat it.

    This is the same idea as mmpretrain's ``SetAdaptiveMarginsHook``.

    Args:
        class_counts (Sequence[int], optional): Use these counts instead of
            reading the train set.
    """
    priority = 'LOW'  # after SwitchRecipeHook (NORMAL)

    def __init__(self, class_counts=None):
        self.counts: Optional[np.ndarray] = (None if class_counts is None else
                                             np.asarray(class_counts))

    def _get_counts(self, runner) -> np.ndarray:
        if self.counts is None:
            counts = [None]
            if get_rank() == 0:
                dataset = self._train_dataset(runner)
                counts[0] = get_class_counts(dataset)
                empty = empty_classes_text(counts[0], class_names_of(dataset))
                if empty:
                    runner.logger.warning(
                        f'ClassCountsHook: in the train split, {empty}; '
                        'losses and samplers that divide by the counts will '
                        'refuse them (check the train list and num_classes).')
            broadcast_object_list(counts, src=0)
            self.counts = counts[0]
            runner.logger.info(
                f'ClassCountsHook: {len(self.counts)} classes, '
                f'{int(self.counts.sum())} training images, max '
                f'{int(self.counts.max())} / min {int(self.counts.min())} '
                'per class.')
        return self.counts

    @staticmethod
    def _train_dataset(runner):
        loop = getattr(runner, '_train_loop', None)
        if loop is not None and not isinstance(loop, dict):
            return loop.dataloader.dataset
        cfg = runner.cfg.get('train_dataloader', None)
        if not cfg or 'dataset' not in cfg:
            raise RuntimeError(
                'ClassCountsHook needs `train_dataloader.dataset` in the '
                'config (or `class_counts=`) to know the training counts.')
        dataset_cfg = cfg['dataset']
        if isinstance(dataset_cfg, dict):
            return DATASETS.build(dataset_cfg)
        return dataset_cfg

    @staticmethod
    def check_heads(model) -> None:
        """Raise a ValueError when a head's ``num_classes`` differs from the
        number of class counts its loss holds (naming both numbers).

        Checked for every module with an int ``num_classes`` and a
        ``loss_module`` that has ``class_counts`` (``LDAMLoss``,
        ``LogitAdjustedLoss``, ...), so a head built for another dataset
        fails before the first iteration instead of with a tensor-size error
        (or a silent 100-way training on 10 classes).

        Args:
            model (nn.Module): The (unwrapped) model.
        """
        for name, module in model.named_modules():
            num_classes = getattr(module, 'num_classes', None)
            loss = getattr(module, 'loss_module', None)
            counts = getattr(loss, 'class_counts', None)
            if (not isinstance(num_classes, int) or counts is None
                    or isinstance(num_classes, bool)):
                continue
            if num_classes != len(counts):
                raise ValueError(
                    f'{type(module).__name__} ({name or "model"}) has '
                    f'num_classes={num_classes} but its '
                    f'{type(loss).__name__} got class counts for '
                    f'{len(counts)} classes (the training set): set the '
                    f"head's num_classes to {len(counts)}, or use the "
                    'dataset the head was built for.')

    def _dispatch(self, runner, with_model=True, with_metrics=True):
        targets = []
        model = None
        if with_model:
            model = runner.model
            if is_model_wrapper(model):
                model = model.module
            targets += list(model.modules())
        if with_metrics:
            for loop_name in ('_val_loop', '_test_loop'):
                loop = getattr(runner, loop_name, None)
                evaluator = getattr(loop, 'evaluator', None)
                targets += list(getattr(evaluator, 'metrics', []))
        targets = [
            t for t in targets if hasattr(t, 'set_class_counts')
            and getattr(t, 'class_counts', None) is None
        ]
        if targets:  # else nothing needs them: the train set is not read
            counts = self._get_counts(runner)
            for target in targets:
                target.set_class_counts(counts)
        if model is not None:
            self.check_heads(model)

    def before_train(self, runner) -> None:
        self._dispatch(runner)

    def before_train_epoch(self, runner) -> None:
        self._dispatch(runner, with_metrics=False)

    def before_val(self, runner) -> None:
        self._dispatch(runner)

    def before_test(self, runner) -> None:
        self._dispatch(runner)


def _metric_cfgs(evaluator) -> list:
    """The metric configs of an evaluator config (dict, list or Evaluator)."""
    if evaluator is None:
        return []
    if isinstance(evaluator, dict):
        if 'metrics' in evaluator:
            return _metric_cfgs(evaluator['metrics'])
        return [evaluator]
    if isinstance(evaluator, (list, tuple)):
        return [m for item in evaluator for m in _metric_cfgs(item)]
    return list(getattr(evaluator, 'metrics', []))  # a built Evaluator


VAL_FIELDS = ('val_evaluator', )


def check_class_counts_source(runner,
                              fields: Sequence[str] = VAL_FIELDS) -> None:
    """Fail before the first iteration when a metric needs the training
    class counts (e.g. ``ShotAccuracy``) and nothing will give them.

    Without this check such a metric raises only when it first evaluates,
    after a whole epoch has trained and been saved. The counts are given when
    the runner has a :class:`ClassCountsHook` (mmlt's default runtime lists
    one under ``default_hooks.class_counts``) or the metric has
    ``class_counts=`` or ``ann_file=``. ``tools/train.py`` and
    ``tools/test.py`` call it right after building the runner.

    Args:
        runner (Runner): A built runner (its ``hooks`` and ``cfg`` are read).
        fields (Sequence[str]): Evaluator fields of the config to check:
            ``('val_evaluator', )`` for training, ``('test_evaluator', )``
            for testing.

    Raises:
        ValueError: Naming the field and the metric.
    """
    if any(isinstance(h, ClassCountsHook) for h in runner.hooks):
        return
    for field in fields:
        loader = field.replace('evaluator', 'dataloader')
        if runner.cfg.get(loader, None) is None:
            continue  # e.g. --no-validate
        for metric in _metric_cfgs(runner.cfg.get(field, None)):
            if isinstance(metric, dict):
                kind = metric.get('type', None)
                try:
                    cls = METRICS.get(kind) if isinstance(kind, str) else kind
                except Exception:  # noqa: BLE001 - unknown scope: not ours
                    cls = None
                given = (
                    metric.get('class_counts', None) is not None
                    or metric.get('ann_file', None) is not None)
            else:
                cls = type(metric)
                given = getattr(metric, 'class_counts', None) is not None
            if cls is None or given or not hasattr(cls, 'set_class_counts'):
                continue
            raise ValueError(
                f'{field}: {cls.__name__} needs the per-class training '
                'counts, but the runner has no ClassCountsHook and the metric '
                'has no `class_counts=` or `ann_file=`; it would fail only '
                'after the first epoch. Add '
                "default_hooks.class_counts=dict(type='ClassCountsHook') (as "
                "mmlt's configs/_base_/default_runtime.py does) or give the "
                'metric `class_counts=` / `ann_file=`.')
