# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import Dict, List

import numpy as np
from mmengine import list_from_file
from mmpretrain.datasets import BaseDataset

from mmlt.registry import DATASETS
from .image_errors import EmptyImageFileMixin

__all__ = ['NABirds']


def _read_pairs(path: str, owner: str) -> Dict[str, str]:
    """``key value`` lines (the value may contain spaces) of a file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: {path} does not exist.')
    pairs = {}
    for lineno, line in enumerate(list_from_file(path), 1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f'{path}:{lineno}: malformed line {line!r}; '
                             'expected "id value".')
        pairs[parts[0]] = parts[1]
    return pairs


@DATASETS.register_module()
class NABirds(EmptyImageFileMixin, BaseDataset):
    """NABirds (Van Horn et al., CVPR 2015): 555 visual categories of North
    American birds, 23,929 train and 24,633 test images.

    ``data_root`` is the ``nabirds`` folder with ``images/``,
    ``images.txt`` (``image_id path``), ``image_class_labels.txt``
    (``image_id class_id``), ``train_test_split.txt`` (``image_id 1|0``,
    1 = train) and ``classes.txt`` (``class_id name``). Class ``i`` is the
    ``i``-th of the class ids that label images, in increasing order (as
    the official MetaFormer code), named from ``classes.txt``.

    Args:
        data_root (str): The ``nabirds`` folder.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"NABirds split must be 'train' or 'test', got "
                             f'{split!r}.')
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'NABirds: data root {data_root} does not exist.')
        self.split = split
        self._labels = None
        kwargs.setdefault('data_prefix', 'images')
        super().__init__(ann_file='images.txt', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        join = lambda name: osp.join(self.data_root, name)  # noqa: E731
        images = _read_pairs(self.ann_file, 'NABirds')
        labels = _read_pairs(join('image_class_labels.txt'), 'NABirds')
        splits = _read_pairs(join('train_test_split.txt'), 'NABirds')
        names = _read_pairs(join('classes.txt'), 'NABirds')
        for name, table in (('image_class_labels.txt', labels),
                            ('train_test_split.txt', splits)):
            missing = images.keys() - table.keys()
            if missing:
                raise ValueError(f'NABirds: {join(name)} lacks image '
                                 f'{sorted(missing)[0]} (and '
                                 f'{len(missing) - 1} more).')
        class_ids = sorted({int(labels[i]) for i in images})
        index = {cid: i for i, cid in enumerate(class_ids)}
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(
                names.get(str(cid), str(cid)) for cid in class_ids)
        want = '1' if self.split == 'train' else '0'
        data_list = [
            dict(
                img_path=osp.join(self.img_prefix, path),
                gt_label=index[int(labels[image_id])])
            for image_id, path in images.items() if splits[image_id] == want
        ]
        if not data_list:
            raise ValueError(f'NABirds: no {self.split} images in '
                             f'{join("train_test_split.txt")}.')
        self._labels = np.asarray([d['gt_label'] for d in data_list],
                                  dtype=np.int64)
        return data_list

    def get_gt_labels(self) -> np.ndarray:
        if self._labels is not None and len(self._labels) == len(self):
            return self._labels.copy()
        return super().get_gt_labels()
