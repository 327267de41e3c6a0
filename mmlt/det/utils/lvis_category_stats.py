# Copyright (c) mmlt contributors. All rights reserved.
"""Per-category training statistics of an LVIS-format annotation file."""
from functools import lru_cache
from typing import NamedTuple, Tuple

import mmengine

__all__ = ['LVISCategoryStats', 'read_lvis_category_stats']


class LVISCategoryStats(NamedTuple):
    """What long-tailed detection losses need from an LVIS json.

    Attributes:
        cat_ids (tuple[int]): Category ids in the order of the json's
            ``categories`` list, which is the label order of mmdet's
            ``LVISV1Dataset`` (``cat2label``) and of ``LVISMetric``.
        names (tuple[str]): Category names, same order.
        image_counts (tuple[int]): ``image_count`` of each category (the
            number of training images in which it is annotated).
        frequencies (tuple[str]): LVIS frequency group, ``'r'``, ``'c'`` or
            ``'f'`` (``''`` when the json has none).
        num_annotated_images (int): Number of images with at least one
            annotation in the file.
    """
    cat_ids: Tuple[int, ...]
    names: Tuple[str, ...]
    image_counts: Tuple[int, ...]
    frequencies: Tuple[str, ...]
    num_annotated_images: int


@lru_cache(maxsize=4)
def read_lvis_category_stats(ann_file: str) -> LVISCategoryStats:
    """Read the category statistics of an LVIS-format annotation file.

    The file is parsed once per process (cached by path), so several losses
    reading the same (1 GB for LVIS v1 train) file do not parse it twice.

    Args:
        ann_file (str): Path (or mmengine file-backend URI) of the json.

    Raises:
        ValueError: if the file has no categories or a category lacks
            ``image_count``.
    """
    data = mmengine.load(ann_file, file_format='json')
    categories = data.get('categories') or []
    if not categories:
        raise ValueError(f'{ann_file} has no "categories".')
    missing = [c.get('id') for c in categories if 'image_count' not in c]
    if missing:
        raise ValueError(
            f'{ann_file}: categories {missing[:10]} have no "image_count" '
            '(an LVIS-format json is needed).')
    annotated = {ann['image_id'] for ann in data.get('annotations', [])}
    return LVISCategoryStats(
        cat_ids=tuple(int(c['id']) for c in categories),
        names=tuple(str(c.get('name', c['id'])) for c in categories),
        image_counts=tuple(int(c['image_count']) for c in categories),
        frequencies=tuple(str(c.get('frequency', '')) for c in categories),
        num_annotated_images=len(annotated))
