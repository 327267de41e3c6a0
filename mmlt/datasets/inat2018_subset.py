# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.fileio import list_from_file

from mmlt.registry import DATASETS
from .lt_list_dataset import LTListDataset

# sizes of the nested class subsets, largest first (P²OT data/inature.py)
SUBSET_SIZES = (8142, 2000, 1000, 500, 200, 100)


def inat_subset_classes(train_labels: np.ndarray,
                        num_classes: int,
                        total: int = 8142) -> np.ndarray:
    """Original class ids of an iNat18 subset, most frequent first.

    All classes are ranked by training count (descending; ties by class
    id), then nested strided subsets are taken: 2000 = every 4th of the
    ranking, 1000 = every 2nd of the 2000, 500 = every 2nd of the 1000,
    200 = every 2nd of the 500, 100 = every 2nd of the 200 (the P²OT
    protocol; the official code breaks ties with an unstable sort).

    Args:
        train_labels (np.ndarray): Labels of the full iNat18 train list.
        num_classes (int): One of 8142, 2000, 1000, 500, 200, 100.
        total (int): Number of classes of the full set.
    """
    if num_classes not in SUBSET_SIZES:
        raise ValueError(f'num_classes must be one of {SUBSET_SIZES}, got '
                         f'{num_classes}.')
    counts = np.bincount(train_labels, minlength=total)
    selected = np.lexsort((np.arange(total), -counts))  # by count, then id
    for prev, size in zip(SUBSET_SIZES[:-1], SUBSET_SIZES[1:]):
        if prev == num_classes:
            break
        selected = selected[::prev // size][:size]
    return selected


@DATASETS.register_module()
class INat2018Subset(LTListDataset):
    """iNaturalist 2018 subsets of 100 / 500 / 1000 classes (P²OT, SP²OT).

    Classes are chosen from the full train list by
    :func:`inat_subset_classes` (nested strided subsets of the classes ranked
    by training count, so the subsets keep the long tail) and re-indexed by
    that ranking (class 0 is the most frequent). Samples of other classes
    are dropped. Train = the iNat18 train images of the chosen classes; test
    = their official val images (3 per class).

    Args:
        data_root (str): Root of the image paths.
        ann_file (str): The list to load (``iNaturalist18_train.txt`` or
            ``iNaturalist18_val.txt``), ``path label`` lines.
        num_classes (int): Subset size. Defaults to 100.
        ranking_file (str, optional): The full train list used to rank the
            classes. Defaults to ``ann_file`` (right for the train split; the
            val split needs the train list here).
        **kwargs: Passed to :class:`LTListDataset`.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 num_classes: int = 100,
                 ranking_file: Optional[str] = None,
                 **kwargs):
        if num_classes not in SUBSET_SIZES:
            raise ValueError(f'num_classes must be one of {SUBSET_SIZES}, '
                             f'got {num_classes}.')
        self.subset_size = num_classes
        self.ranking_file = ranking_file
        super().__init__(
            data_root=data_root, ann_file=ann_file, num_classes=8142, **kwargs)
        self._num_classes = num_classes

    def _resolve(self, path: str) -> str:
        if osp.isabs(path) or osp.isfile(path):
            return path
        return osp.join(self.data_root, path)

    def load_data_list(self) -> List[dict]:
        self._num_classes = 8142  # labels of the list are original ids
        data_list = super().load_data_list()
        self._num_classes = self.subset_size
        if self.ranking_file is None:
            ranking_labels = self._labels_cache
        else:
            ranking = self._resolve(self.ranking_file)
            if not osp.isfile(ranking):
                raise FileNotFoundError(
                    f'INat2018Subset: ranking_file {ranking} does not exist.')
            ranking_labels = np.array([
                int(line.rsplit(maxsplit=1)[1])
                for line in list_from_file(ranking) if line.strip()
            ])
        classes = inat_subset_classes(ranking_labels, self.subset_size)
        new_label = np.full(8142, -1, dtype=np.int64)
        new_label[classes] = np.arange(len(classes))
        kept = []
        for info in data_list:
            label = int(new_label[info['gt_label']])
            if label >= 0:
                kept.append(dict(info, gt_label=label))
        if not kept:
            raise ValueError(f'{self.ann_file}: no sample of the '
                             f'{self.subset_size} selected classes.')
        self._labels_cache = np.array([d['gt_label'] for d in kept])
        self._metainfo['classes'] = tuple(str(c) for c in classes)
        return kept
