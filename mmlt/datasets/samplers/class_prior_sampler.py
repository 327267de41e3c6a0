# Copyright (c) mmlt contributors. All rights reserved.
"""Re-sampling by class: class-balanced, square-root and progressive.

Kang et al., *Decoupling Representation and Classifier for Long-Tailed
Recognition* (ICLR 2020): a class ``j`` is drawn with probability
``p_j ∝ n_j^q`` (``q = 1`` instance-balanced, ``q = 1/2`` square-root,
``q = 0`` class-balanced), then an image of that class is taken from its
reshuffled bucket (cycling through the bucket as the RIDE/Decoupling
samplers do). Progressive sampling interpolates from instance- to
class-balanced over the epochs.
"""
import math
from typing import Iterator, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmlt.registry import DATA_SAMPLERS
from mmlt.utils.class_counts import unwrap_dataset


def _labels_of(dataset) -> np.ndarray:
    """Label of every index of ``dataset`` (wrappers resolved per index)."""
    if unwrap_dataset(dataset) is dataset and hasattr(dataset,
                                                      'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    return np.array([dataset.get_cat_ids(i)[0] for i in range(len(dataset))],
                    dtype=np.int64)


@DATA_SAMPLERS.register_module()
class ClassPriorSampler(Sampler):
    """Draw classes with ``p_j ∝ n_j^q`` and images uniformly within a class.

    Deterministic given ``seed`` and the epoch, identical on every rank
    before each rank takes its ``rank::world_size`` share, so DDP processes
    see disjoint parts of one epoch. An epoch has ``len(dataset)`` draws in
    total (``ceil(len / world_size)`` per rank), like ``DefaultSampler``.

    Args:
        dataset (Sized): The dataset (``get_gt_labels`` or ``get_cat_ids``).
        q (float): Exponent of the class counts. Defaults to 0
            (class-balanced).
        seed (int, optional): Random seed, synced across ranks when None.
        num_samples (int, optional): Draws per epoch in total. Defaults to
            ``len(dataset)``.
    """

    def __init__(self,
                 dataset: Sized,
                 q: float = 0.,
                 seed: Optional[int] = None,
                 num_samples: Optional[int] = None):
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.q = q
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        labels = _labels_of(dataset)
        if labels.size == 0:
            raise ValueError(f'{type(self).__name__} got an empty dataset.')
        classes = getattr(dataset, 'metainfo', {}).get('classes', None)
        counts = np.bincount(
            labels, minlength=len(classes) if classes is not None else 0)
        self.counts = counts
        order = np.argsort(labels, kind='stable')
        splits = np.cumsum(counts)[:-1]
        self.buckets = np.split(order, splits)
        total = len(dataset) if num_samples is None else num_samples
        self.num_samples = math.ceil(total / self.world_size)
        self.total_size = self.num_samples * self.world_size

    def class_probs(self) -> np.ndarray:
        """Probability of drawing each class at the current epoch."""
        p = np.where(self.counts > 0,
                     self.counts.astype(np.float64)**self.q, 0.)
        return p / p.sum()

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.epoch)
        classes = rng.choice(
            len(self.counts), size=self.total_size, p=self.class_probs())
        draws = np.bincount(classes, minlength=len(self.counts))
        indices = np.empty(self.total_size, dtype=np.int64)
        slots = np.argsort(classes, kind='stable')
        start = 0
        for cls in np.flatnonzero(draws):
            k, bucket = draws[cls], self.buckets[cls]
            reps = -(-k // len(bucket))
            picks = np.concatenate(
                [rng.permutation(bucket) for _ in range(reps)])[:k]
            indices[slots[start:start + k]] = picks
            start += k
        return iter(indices[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(ClassPriorSampler):
    """Class-balanced sampling (``q = 0``): every class equally likely, as
    the RIDE router stage and cRT use. Arguments as
    :class:`ClassPriorSampler` without ``q``."""

    def __init__(self, dataset: Sized, **kwargs):
        super().__init__(dataset, q=0., **kwargs)


@DATA_SAMPLERS.register_module()
class SquareRootSampler(ClassPriorSampler):
    """Square-root sampling (``q = 1/2``, Mahajan et al. 2018). Arguments as
    :class:`ClassPriorSampler` without ``q``."""

    def __init__(self, dataset: Sized, **kwargs):
        super().__init__(dataset, q=0.5, **kwargs)


@DATA_SAMPLERS.register_module()
class ProgressiveSampler(ClassPriorSampler):
    """Progressively-balanced sampling: at epoch ``t`` (0-based) of ``T``,
    ``p_j = (1 - t/T) * p_j^IB + (t/T) * p_j^CB`` (Kang et al., ICLR 2020).

    Args:
        dataset (Sized): The dataset.
        total_epochs (int): ``T``, usually ``train_cfg.max_epochs``.
        **kwargs: ``seed``, ``num_samples``.
    """

    def __init__(self, dataset: Sized, total_epochs: int, **kwargs):
        if total_epochs <= 0:
            raise ValueError(f'total_epochs must be > 0, got {total_epochs}.')
        self.total_epochs = total_epochs
        super().__init__(dataset, q=1., **kwargs)

    def class_probs(self) -> np.ndarray:
        t = min(self.epoch / self.total_epochs, 1.)
        present = self.counts > 0
        p_ib = self.counts / self.counts.sum()
        p_cb = present / present.sum()
        return (1 - t) * p_ib + t * p_cb
