# Copyright (c) mmlt contributors. All rights reserved.
"""Long-tailed count profiles (Cao et al., LDAM-DRW, NeurIPS 2019)."""
import math
from typing import List, Optional, Sequence

import numpy as np

__all__ = ['check_imb_factor', 'long_tailed_counts', 'select_long_tailed']


def check_imb_factor(imb_factor: float) -> None:
    """Raise a ValueError naming ``imb_factor`` unless it is a finite number
    >= 1.

    Args:
        imb_factor (float): Imbalance factor ``n_max / n_min``.
    """
    if (isinstance(imb_factor, bool) or not isinstance(imb_factor,
                                                       (int, float))
            or not math.isfinite(imb_factor) or imb_factor < 1):
        raise ValueError(
            f'imb_factor is n_max / n_min and must be a finite number >= 1 '
            f'(e.g. 100 for IF100), got {imb_factor!r}.')


def long_tailed_counts(num_classes: int,
                       img_max: int,
                       imb_factor: float,
                       imb_type: str = 'exp',
                       classes: Optional[Sequence[str]] = None) -> List[int]:
    """Per-class image counts of a long-tailed subset.

    ``exp``: ``n_c = int(img_max * (1 / imb_factor) ** (c / (C - 1)))``.
    ``step``: the first half of the classes keep ``img_max`` images, the rest
    ``int(img_max / imb_factor)``.

    Args:
        num_classes (int): Number of classes ``C``.
        img_max (int): Images of the head class (class 0).
        imb_factor (float): Imbalance factor ``n_max / n_min`` (>= 1), e.g.
            100 for CIFAR-100-LT IF100.
        imb_type (str): ``'exp'`` or ``'step'``.
        classes (Sequence[str], optional): Class names, only used to name
            the first empty class in the error.

    Raises:
        ValueError: ``imb_factor`` is not a finite number >= 1, or is so
            large that a class would keep 0 images (the error names
            ``imb_factor``, its value and the first empty class).
    """
    check_imb_factor(imb_factor)
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    ratio = 1.0 / imb_factor
    if imb_type == 'exp':
        counts = [
            int(img_max * ratio**(c / (num_classes - 1.0)))
            for c in range(num_classes)
        ]
    elif imb_type == 'step':
        half = num_classes // 2
        counts = [img_max] * half + [int(img_max * ratio)] * (
            num_classes - half)
    else:
        raise ValueError(
            f"imb_type must be 'exp' or 'step', got {imb_type!r}.")
    if min(counts) < 1:
        empty = counts.index(min(counts))
        name = f' ({classes[empty]!r})' if classes is not None and len(
            classes) > empty else ''
        raise ValueError(
            f'imb_factor={imb_factor!r} is too large for {img_max} images in '
            f'the head class: class {empty}{name} would get 0 training '
            f'images ({imb_type} profile); keep imb_factor at most about '
            f'{img_max}.')
    return counts


def select_long_tailed(labels: np.ndarray,
                       counts: List[int],
                       selection: str = 'shuffle',
                       seed: int = 0) -> np.ndarray:
    """Indices of the samples kept for a long-tailed subset.

    Args:
        labels (np.ndarray): Labels of the full (balanced) set, in file order.
        counts (list[int]): Images to keep per class.
        selection (str): ``'shuffle'``: seed numpy's global-style RNG once with
            ``seed``, then for each class in label order shuffle its indices
            and keep the first ``n_c`` (the LDAM/RIDE/MDCS protocol).
            ``'first'``: keep the first ``n_c`` images of each class in file
            order (SHIKE).
        seed (int): Seed for ``'shuffle'``. Defaults to 0.

    Returns:
        np.ndarray: Kept indices, grouped by class in label order.
    """
    if selection not in ('shuffle', 'first'):
        raise ValueError(
            f"selection must be 'shuffle' or 'first', got {selection!r}.")
    labels = np.asarray(labels)
    rng = np.random.RandomState(seed)  # same stream as np.random.seed(seed)
    keep = []
    for cls, num in enumerate(counts):
        idx = np.flatnonzero(labels == cls)
        if len(idx) < num:
            raise ValueError(f'Class {cls} has {len(idx)} images, fewer than '
                             f'the {num} the long-tailed profile asks for.')
        if selection == 'shuffle':
            rng.shuffle(idx)
        keep.append(idx[:num])
    return np.concatenate(keep)
