# Copyright (c) mmlt contributors. All rights reserved.
import os
import os.path as osp
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmlt.registry import DATASETS
from .image_errors import EmptyImageFileMixin

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png')


@DATASETS.register_module()
class ImageNetRLT(EmptyImageFileMixin, BaseDataset):
    """ImageNet-R as a naturally long-tailed clustering benchmark.

    ImageNet-R (Hendrycks et al., *The Many Faces of Robustness*, ICCV 2021)
    has 30,000 renditions of 200 ImageNet classes with very unequal class
    sizes. The P²OT protocol (Zhang et al., ICLR 2024) draws ``test_per_class``
    images per class at random as a balanced test set (4,000 images) and
    keeps the rest (about 26,000, long-tailed) for training; classes are
    re-indexed by descending training count, so class 0 is the largest.

    Here class folders and files are sorted before the draw (the official
    code uses the file system's listing order, which is not portable), then
    ``numpy.random.RandomState(seed)`` draws the test images class by class
    (ties in the training counts keep the folder order).

    Args:
        data_root (str): The ``imagenet-r/`` folder (``<wnid>/<image>``).
        split (str): ``'train'`` or ``'test'``.
        test_per_class (int): Test images per class. Defaults to 20.
        seed (int): Seed of the draw. Defaults to 0.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 test_per_class: int = 20,
                 seed: int = 0,
                 **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(
                f"split must be 'train' or 'test', got {split!r}.")
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'ImageNetRLT: data root {data_root} does not exist.')
        self.split = split
        self.test_per_class = test_per_class
        self.seed = seed
        self._labels = None
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def _splits(self):
        root = self.data_root
        folders = sorted(
            d for d in os.listdir(root) if osp.isdir(osp.join(root, d)))
        if not folders:
            raise FileNotFoundError(
                f'ImageNetRLT: no class folders in {root}.')
        rng = np.random.RandomState(self.seed)
        train, test = {}, {}
        for folder in folders:
            files = sorted(
                f for f in os.listdir(osp.join(root, folder))
                if f.lower().endswith(IMG_EXTENSIONS))
            if len(files) <= self.test_per_class:
                raise ValueError(
                    f'ImageNetRLT: class folder {folder} has {len(files)} '
                    f'images, not more than test_per_class='
                    f'{self.test_per_class}.')
            chosen = set(
                rng.choice(len(files), self.test_per_class, replace=False))
            test[folder] = [f for i, f in enumerate(files) if i in chosen]
            train[folder] = [f for i, f in enumerate(files) if i not in chosen]
        # class 0 = most training images; stable on ties (folder order)
        order = sorted(folders, key=lambda d: -len(train[d]))
        return order, train, test

    def load_data_list(self) -> List[dict]:
        order, train, test = self._splits()
        files = train if self.split == 'train' else test
        data_list = []
        for label, folder in enumerate(order):
            for name in files[folder]:
                data_list.append(
                    dict(
                        img_path=osp.join(self.data_root, folder, name),
                        gt_label=label))
        self._metainfo['classes'] = tuple(order)
        self._labels = np.array([d['gt_label'] for d in data_list])
        return data_list

    def get_gt_labels(self) -> np.ndarray:
        if self._labels is not None and len(self._labels) == len(self):
            return self._labels.copy()
        return super().get_gt_labels()
