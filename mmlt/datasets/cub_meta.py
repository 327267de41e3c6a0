# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine import list_from_file
from mmpretrain.datasets import CUB

from mmlt.registry import DATASETS
from .image_errors import EmptyImageFileMixin

__all__ = ['CUBMeta']


@DATASETS.register_module()
class CUBMeta(EmptyImageFileMixin, CUB):
    """CUB-200-2011 with per-image meta for MetaFormer (Diao et al., arXiv
    2203.02751): the 312 binary attributes or precomputed caption
    embeddings.

    Images, labels and splits are read as by mmpretrain's :class:`CUB`
    (``data_root`` is the ``CUB_200_2011`` folder). Per ``meta_type``:

    - ``'attribute'``: ``attributes/image_attribute_labels.txt`` under
      ``data_root`` (lines ``image_id attribute_id is_present certainty
      time``; the known lines with an extra field are accepted) gives each
      sample ``attributes``, a 312-d 0/1 vector (:class:`AttributeMeta`).
    - ``'text'``: each sample gets ``text_embedding_path``,
      ``<text_root>/<image path relative to images/ with .npy>``, an array
      ``(captions, words, dims)`` (:class:`TextEmbeddingMeta`). Every file
      must exist.
    - ``None``: the plain :class:`CUB`.

    A missing file raises ``FileNotFoundError`` naming it; a malformed
    attribute line raises ``ValueError`` with ``file:line``.

    Args:
        data_root (str): The ``CUB_200_2011`` folder.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        meta_type (str, optional): ``'attribute'``, ``'text'`` or ``None``.
        attribute_file (str): Relative to ``data_root``.
        num_attributes (int): Defaults to 312.
        text_root (str, optional): Folder of the caption embeddings
            (required for ``'text'``).
        **kwargs: Other arguments of :class:`CUB`.
    """
    META_TYPES = ('attribute', 'text', None)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 meta_type: Optional[str] = None,
                 attribute_file: str = osp.join('attributes',
                                                'image_attribute_labels.txt'),
                 num_attributes: int = 312,
                 text_root: Optional[str] = None,
                 **kwargs):
        if meta_type not in self.META_TYPES:
            raise ValueError(f'CUBMeta meta_type must be one of '
                             f'{self.META_TYPES}, got {meta_type!r}.')
        if meta_type == 'text' and not text_root:
            raise ValueError("CUBMeta with meta_type='text' needs text_root.")
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'CUBMeta: data root {data_root} does not exist.')
        for name in ('images.txt', 'image_class_labels.txt',
                     'train_test_split.txt'):
            if not osp.isfile(osp.join(data_root, name)):
                raise FileNotFoundError(
                    f'CUBMeta: {osp.join(data_root, name)} does not exist.')
        self.meta_type = meta_type
        self.attribute_file = osp.join(data_root, attribute_file)
        self.num_attributes = num_attributes
        self.text_root = text_root
        self._labels = None
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _image_ids(self) -> dict:
        """image path -> image id (1-based, as in the CUB files)."""
        ids = {}
        for line in list_from_file(self.ann_file):
            if line.strip():
                image_id, rel = line.split()
                ids[self.backend.join_path(self.img_prefix,
                                           rel)] = (int(image_id), rel)
        return ids

    def _attributes(self) -> dict:
        if not osp.isfile(self.attribute_file):
            raise FileNotFoundError(
                f'CUBMeta: attribute file {self.attribute_file} does not '
                'exist.')
        table = {}
        for lineno, line in enumerate(list_from_file(self.attribute_file), 1):
            parts = line.split()
            if not parts:
                continue
            try:
                if len(parts) not in (5, 6):
                    raise ValueError
                image_id, attr, present = (int(p) for p in parts[:3])
                if not 1 <= attr <= self.num_attributes or \
                        present not in (0, 1):
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f'{self.attribute_file}:{lineno}: malformed line '
                    f'{line!r}; expected "image_id attribute_id (1..'
                    f'{self.num_attributes}) is_present(0/1) certainty '
                    'time".') from None
            if image_id not in table:
                table[image_id] = np.zeros(self.num_attributes, np.uint8)
            table[image_id][attr - 1] = present
        return table

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.meta_type is not None:
            ids = self._image_ids()
            if self.meta_type == 'attribute':
                table = self._attributes()
                for info in data_list:
                    image_id = ids[info['img_path']][0]
                    if image_id not in table:
                        raise ValueError(
                            f'{self.attribute_file} has no attributes for '
                            f'image {image_id} ({info["img_path"]}).')
                    info['attributes'] = table[image_id]
            else:
                if not osp.isdir(self.text_root):
                    raise FileNotFoundError(
                        f'CUBMeta: text_root {self.text_root} does not '
                        'exist.')
                missing = []
                for info in data_list:
                    rel = ids[info['img_path']][1]
                    path = osp.join(self.text_root,
                                    osp.splitext(rel)[0] + '.npy')
                    if not osp.isfile(path):
                        missing.append(path)
                    info['text_embedding_path'] = path
                if missing:
                    raise FileNotFoundError(
                        f'CUBMeta: {len(missing)} caption embedding files '
                        f'are missing, e.g. {missing[0]}.')
        self._labels = np.asarray([d['gt_label'] for d in data_list],
                                  dtype=np.int64)
        return data_list

    def get_gt_labels(self) -> np.ndarray:
        if self._labels is not None and len(self._labels) == len(self):
            return self._labels.copy()
        return super().get_gt_labels()
