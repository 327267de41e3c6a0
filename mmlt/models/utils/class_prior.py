# Copyright (c) mmlt contributors. All rights reserved.
"""Quantities derived from per-class training counts, and a mixin for the
modules that receive the counts from :class:`ClassCountsHook`."""
from typing import Optional, Sequence

import numpy as np
import torch

from mmlt.utils import check_class_counts

__all__ = [
    'ClassCountsMixin', 'effective_number_weights', 'ldam_margins', 'log_prior'
]


def effective_number_weights(counts: Sequence[int],
                             beta: float = 0.9999) -> torch.Tensor:
    """Class-balanced weights ``(1 - beta) / (1 - beta^n_c)`` normalised to
    sum to ``C`` (Cui et al., *Class-Balanced Loss Based on Effective Number
    of Samples*, CVPR 2019). ``beta = 0`` gives all-ones weights."""
    if not 0 <= beta < 1:
        raise ValueError(f'beta must be in [0, 1), got {beta}.')
    counts = np.asarray(counts, dtype=np.float64)
    weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    weights = weights / weights.sum() * len(counts)
    return torch.as_tensor(weights, dtype=torch.float32)


def ldam_margins(counts: Sequence[int], max_m: float = 0.5) -> torch.Tensor:
    """LDAM margins ``m_c ∝ n_c^(-1/4)`` scaled so the largest is ``max_m``
    (Cao et al., NeurIPS 2019)."""
    m = 1.0 / np.power(np.asarray(counts, dtype=np.float64), 0.25)
    m = m * (max_m / m.max())
    return torch.as_tensor(m, dtype=torch.float32)


def log_prior(counts: Sequence[int]) -> torch.Tensor:
    """``log(n_c / sum(n))``."""
    counts = np.asarray(counts, dtype=np.float64)
    return torch.as_tensor(np.log(counts / counts.sum()), dtype=torch.float32)


class ClassCountsMixin:
    """Holds ``class_counts`` and lets :class:`ClassCountsHook` set them.

    Subclasses override :meth:`_on_class_counts` to derive their tensors.
    """
    class_counts: Optional[np.ndarray] = None

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Set the per-class training counts (validated: none may be 0)."""
        self.class_counts = check_class_counts(counts, type(self).__name__)
        self._on_class_counts(self.class_counts)

    def _on_class_counts(self, counts: np.ndarray) -> None:
        pass

    def _require_class_counts(self) -> np.ndarray:
        if self.class_counts is None:
            raise RuntimeError(
                f'{type(self).__name__} needs the per-class training counts: '
                'pass `class_counts=` or add '
                "dict(type='ClassCountsHook') to `custom_hooks`.")
        return self.class_counts
