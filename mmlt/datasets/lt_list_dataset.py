# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.fileio import list_from_file
from mmpretrain.datasets import CustomDataset

from mmlt.registry import DATASETS
from .image_errors import EmptyImageFileMixin


@DATASETS.register_module()
class LTListDataset(EmptyImageFileMixin, CustomDataset):
    """A long-tailed dataset read from a ``relative/path label`` list.

    The format of the ImageNet-LT, Places-LT and iNaturalist 2018 split files
    (OLTR / classifier-balancing). Compared with :class:`CustomDataset` it
    checks its inputs and fails with one clear message: a missing data root or
    list file (path named), a malformed line (``file:line``) or a label outside
    ``[0, num_classes)``; a zero-byte image file is named when its sample
    fails to load (:class:`EmptyImageFileMixin`). Labels are cached so
    ``get_gt_labels()`` (used for class counts) is cheap.

    Args:
        data_root (str): Root of the image paths in the list.
        ann_file (str): The list file, relative to ``data_root`` or absolute.
        num_classes (int, optional): Number of classes. Defaults to the length
            of ``metainfo['classes']`` (or the class's ``METAINFO``). Labels
            are checked against it at load (``file:line`` in the error), and
            :func:`mmlt.utils.get_class_counts` counts this many classes, so
            a class without training images (the last one included) gets a
            count of 0 that :class:`ClassCountsHook` and the losses name.
        **kwargs: Passed to :class:`mmpretrain.datasets.CustomDataset`.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 num_classes: Optional[int] = None,
                 **kwargs):
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs `ann_file`.')
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data root {data_root} does not exist.'
            )
        self._num_classes = num_classes
        self._labels_cache = None
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    @property
    def num_classes(self) -> Optional[int]:
        if self._num_classes is not None:
            return self._num_classes
        classes = self.metainfo.get('classes', None)
        return len(classes) if classes is not None else None

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {self.ann_file} '
                'does not exist.')
        num_classes = self.num_classes
        data_list, labels = [], []
        for lineno, line in enumerate(list_from_file(self.ann_file), 1):
            line = line.strip()
            if not line:
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise ValueError(
                    f'{self.ann_file}:{lineno}: malformed line {line!r}; '
                    'expected "relative/path label".')
            label = int(parts[1])
            if label < 0 or (num_classes is not None and label >= num_classes):
                raise ValueError(
                    f'{self.ann_file}:{lineno}: label {label} is out of '
                    f'range [0, {num_classes}).')
            data_list.append({
                'img_path': osp.join(self.img_prefix, parts[0]),
                'gt_label': label
            })
            labels.append(label)
        if not data_list:
            raise ValueError(f'{self.ann_file} has no samples.')
        self._labels_cache = np.asarray(labels, dtype=np.int64)
        return data_list

    def get_gt_labels(self) -> np.ndarray:
        """All labels, without deserializing every sample when possible."""
        if self._labels_cache is not None and \
                len(self._labels_cache) == len(self):
            return self._labels_cache.copy()
        return super().get_gt_labels()
