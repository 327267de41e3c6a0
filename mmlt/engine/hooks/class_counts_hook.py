# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import numpy as np
from mmengine.dist import broadcast_object_list, get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import DATASETS, HOOKS
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
