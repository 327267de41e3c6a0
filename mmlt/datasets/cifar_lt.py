# Copyright (c) mmlt contributors. All rights reserved.
import os
import os.path as osp
from typing import List, Optional

import mmcv
import numpy as np
from mmpretrain.datasets import CIFAR10, CIFAR100

from mmlt.registry import DATASETS
from .image_errors import check_not_empty
from .lt_profile import (check_imb_factor, long_tailed_counts,
                         select_long_tailed)

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


class _CIFARLTMixin:
    """Long-tailed subsampling of a CIFAR train split, from pickles or from
    an image-folder tree (``<data_root>/{train,test}/<class name>/*.jpg``)."""

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 imb_factor: float = 100,
                 imb_type: str = 'exp',
                 selection: str = 'shuffle',
                 seed: int = 0,
                 data_format: str = 'auto',
                 metainfo: Optional[dict] = None,
                 **kwargs):
        self._init_lt(data_root, imb_factor, imb_type, selection, seed,
                      data_format)
        kwargs.setdefault('download', False)
        super().__init__(
            data_root=data_root, split=split, metainfo=metainfo, **kwargs)

    def _init_lt(self, data_root, imb_factor, imb_type, selection, seed,
                 data_format):
        if data_format not in ('auto', 'pickle', 'folder'):
            raise ValueError("data_format must be 'auto', 'pickle' or "
                             f"'folder', got {data_format!r}.")
        if not data_root or not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data root {data_root!r} does not '
                'exist. Point `data_root` at a folder holding the CIFAR '
                f'python pickles ({self.base_folder}/) or an image tree '
                '(train/<class>/*.jpg, test/<class>/*.jpg).')
        # Validates the profile early: a bad imb_factor fails at build time.
        self.img_num_per_cls = None
        check_imb_factor(imb_factor)
        if imb_type not in ('exp', 'step'):
            raise ValueError(
                f"imb_type must be 'exp' or 'step', got {imb_type!r}.")
        self.imb_factor = imb_factor
        self.imb_type = imb_type
        self.selection = selection
        self.lt_seed = seed
        self.data_format = data_format

    def _folder_format(self) -> bool:
        root = self.data_prefix['root']
        if self.data_format == 'auto':
            return (not osp.isdir(osp.join(root, self.base_folder))
                    and osp.isdir(osp.join(root, self.split)))
        return self.data_format == 'folder'

    def _layouts(self) -> str:
        """The data-root layouts mmlt accepts, for error messages."""
        return (f'{type(self).__name__} accepts either the CIFAR python '
                f'pickles in <data_root>/{self.base_folder}/ (as extracted '
                f'from {self.filename}) or an image tree '
                '<data_root>/train/<class name>/*.jpg and '
                '<data_root>/test/<class name>/*.jpg')

    def _check_pickles(self) -> None:
        """Raise a FileNotFoundError naming the missing pickles and the
        accepted layouts when the pickle layout is incomplete and no download
        was asked for."""
        if self.download:
            return
        root = self.data_prefix['root']
        folder = osp.join(root, self.base_folder)
        missing = [
            name for name, _ in self.train_list + self.test_list
            if not osp.isfile(osp.join(folder, name))
        ]
        if missing:
            raise FileNotFoundError(
                f'{type(self).__name__}: data root {root!r} has no usable '
                f'CIFAR data ({len(missing)} file(s) missing from {folder}, '
                f'e.g. {missing[0]!r}). {self._layouts()}. Set '
                '`download=True` to fetch the pickles.')

    def _list_folder(self):
        split_dir = osp.join(self.data_prefix['root'], self.split)
        if not osp.isdir(split_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: image folder {split_dir} not found. '
                f'{self._layouts()}.')
        paths, labels = [], []
        for label, name in enumerate(self.METAINFO['classes']):
            class_dir = osp.join(split_dir, name)
            if not osp.isdir(class_dir):
                raise FileNotFoundError(
                    f'{type(self).__name__}: class folder {class_dir} not '
                    'found (folders must be named by the CIFAR class names).')
            files = sorted(
                f for f in os.listdir(class_dir)
                if f.lower().endswith(IMG_EXTENSIONS))
            paths += [osp.join(class_dir, f) for f in files]
            labels += [label] * len(files)
        return paths, np.asarray(labels, dtype=np.int64)

    @staticmethod
    def _read_rgb(path: str) -> np.ndarray:
        check_not_empty(path, 'CIFAR-LT')
        try:
            img = mmcv.imread(path, channel_order='rgb')
        except Exception as e:  # noqa: BLE001 - re-raised with the path
            raise OSError(f'Cannot read image {path}: {e}') from e
        if img is None:
            raise OSError(f'Cannot read image {path}.')
        return img

    def load_data_list(self) -> List[dict]:
        if self._folder_format():
            paths, labels = self._list_folder()
            keep = self._lt_indices(labels)
            return [{
                'img': self._read_rgb(paths[i]),
                'gt_label': int(labels[i])
            } for i in keep]
        self._check_pickles()
        data_list = super().load_data_list()
        labels = np.array([d['gt_label'] for d in data_list])
        return [data_list[i] for i in self._lt_indices(labels)]

    def _lt_indices(self, labels: np.ndarray) -> np.ndarray:
        if self.split != 'train':
            return np.arange(len(labels))
        num_classes = len(self.METAINFO['classes'])
        img_max = int(np.bincount(labels, minlength=num_classes).max())
        counts = long_tailed_counts(num_classes, img_max, self.imb_factor,
                                    self.imb_type, self.METAINFO['classes'])
        self.img_num_per_cls = counts
        return select_long_tailed(labels, counts, self.selection, self.lt_seed)


@DATASETS.register_module()
class CIFAR10LT(_CIFARLTMixin, CIFAR10):
    """CIFAR-10-LT: an exponentially (or step-) imbalanced CIFAR-10 train set.

    The train split keeps ``n_c = int(n_max * (1/imb_factor)^(c/(C-1)))``
    images of class ``c`` (Cao et al., *Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss*, NeurIPS 2019); the test split stays
    balanced. IF100 gives 12,406 train images (5000 ... 50).

    Args:
        data_root (str): Folder with ``cifar-10-batches-py/`` (the python
            pickles) or with ``train/<class>/*.jpg`` and
            ``test/<class>/*.jpg``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        imb_factor (float): ``n_max / n_min``, >= 1. Defaults to 100.
        imb_type (str): ``'exp'`` or ``'step'``. Defaults to ``'exp'``.
        selection (str): ``'shuffle'`` (seeded per-class shuffle, the
            LDAM/RIDE/MDCS protocol) or ``'first'`` (first ``n_c`` images of
            each class in file order, SHIKE). Defaults to ``'shuffle'``.
        seed (int): Seed of the ``'shuffle'`` selection. Defaults to 0.
        data_format (str): ``'auto'``, ``'pickle'`` or ``'folder'``.
        **kwargs: Passed to :class:`mmpretrain.datasets.CIFAR10`.
    """


@DATASETS.register_module()
class CIFAR100LT(_CIFARLTMixin, CIFAR100):
    """CIFAR-100-LT (IF100: 10,847 train images, 500 ... 5 per class).

    Same arguments as :class:`CIFAR10LT`; the pickles are expected in
    ``cifar-100-python/``.
    """
