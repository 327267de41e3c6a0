# Copyright (c) mmlt contributors. All rights reserved.
"""One way to get per-class training counts, shared by hooks, losses, heads,
samplers and metrics."""
from typing import Optional, Sequence

import numpy as np

__all__ = [
    'get_class_counts', 'check_class_counts', 'unwrap_dataset',
    'class_names_of', 'empty_classes_text'
]


def unwrap_dataset(dataset):
    """Return the innermost dataset of mmengine wrappers.

    ``ClassBalancedDataset`` and ``RepeatDataset`` repeat samples of an inner
    dataset; the long-tailed statistics that LT methods need are those of the
    inner dataset (the number of distinct training images per class).
    """
    while hasattr(dataset, 'dataset') and not hasattr(dataset, 'datasets'):
        dataset = dataset.dataset
    return dataset


def _gt_labels(dataset) -> np.ndarray:
    dataset = unwrap_dataset(dataset)
    if hasattr(dataset, 'datasets'):  # ConcatDataset
        return np.concatenate([_gt_labels(d) for d in dataset.datasets])
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    if hasattr(dataset, 'targets'):  # torchvision-style datasets
        return np.asarray(dataset.targets, dtype=np.int64)
    raise TypeError(
        f'Cannot read labels from {type(dataset).__name__}: it has neither '
        '`get_gt_labels()` nor `targets`.')


def _num_classes(dataset) -> Optional[int]:
    dataset = unwrap_dataset(dataset)
    if hasattr(dataset, 'datasets'):
        return _num_classes(dataset.datasets[0])
    given = getattr(dataset, 'num_classes', None)  # e.g. LTListDataset
    if isinstance(given, (int, np.integer)) and not isinstance(given, bool):
        return int(given)
    classes = getattr(dataset, 'metainfo', {}).get('classes', None)
    return len(classes) if classes is not None else None


def class_names_of(dataset) -> Optional[Sequence[str]]:
    """Class names of a (possibly wrapped) dataset, or None when unknown.

    Args:
        dataset: An mmengine/mmpretrain dataset, possibly wrapped.
    """
    dataset = unwrap_dataset(dataset)
    if hasattr(dataset, 'datasets'):
        return class_names_of(dataset.datasets[0])
    return getattr(dataset, 'metainfo', {}).get('classes', None)


def get_class_counts(dataset, num_classes: Optional[int] = None) -> np.ndarray:
    """Number of training images per class of a (possibly wrapped) dataset.

    Args:
        dataset: An mmengine/mmpretrain dataset, possibly wrapped in
            ``ClassBalancedDataset``, ``RepeatDataset`` or ``ConcatDataset``.
        num_classes (int, optional): Number of classes. Defaults to the
            dataset's own ``num_classes`` (e.g. :class:`LTListDataset`), else
            the length of ``dataset.metainfo['classes']`` when available, else
            ``max(label) + 1``. Classes after the largest label therefore get
            a count of 0 instead of being dropped.

    Returns:
        np.ndarray: int64 array of shape ``(num_classes, )``.
    """
    labels = _gt_labels(dataset)
    if num_classes is None:
        num_classes = _num_classes(dataset)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f'Label {bad} is out of range for a dataset with '
                         f'{num_classes} classes.')
    return np.bincount(labels, minlength=num_classes).astype(np.int64)


def check_class_counts(
        counts: Sequence[int],
        owner: str = 'this component',
        class_names: Optional[Sequence[str]] = None) -> np.ndarray:
    """Validate class counts for a component that divides by them.

    Raises:
        ValueError: if ``counts`` is empty, not 1-D, negative, or a class has
            zero training images (named in the message).
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f'{owner} needs a non-empty 1-D list of class '
                         f'counts, got shape {counts.shape}.')
    if (counts < 0).any():
        raise ValueError(f'{owner} got negative class counts: {counts}.')
    empty = empty_classes_text(counts, class_names)
    if empty:
        raise ValueError(
            f'{owner} needs every class to have training images, but '
            f'{empty}.')
    return counts


def empty_classes_text(
        counts: Sequence[int],
        class_names: Optional[Sequence[str]] = None) -> Optional[str]:
    """Name the classes with 0 training images (at most 10), or None.

    Args:
        counts (Sequence[int]): Training images per class.
        class_names (Sequence[str], optional): Names to add to the indices.

    Returns:
        str | None: e.g. ``'class 1 (cat), 9 (truck) has 0 training images
        (of 10 classes)'`` (the last class included), or None when every
        class has images.
    """
    zero = np.flatnonzero(np.asarray(counts) == 0)
    if not zero.size:
        return None
    names = [
        f'{i} ({class_names[i]})'
        if class_names is not None and i < len(class_names) else str(i)
        for i in zero[:10]
    ]
    more = f' and {zero.size - 10} more' if zero.size > 10 else ''
    return (f'class {", ".join(names)}{more} has 0 training images (of '
            f'{len(counts)} classes)')
