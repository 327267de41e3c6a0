# Copyright (c) mmlt contributors. All rights reserved.
"""iNaturalist 2017 / 2018 / 2021 read from the official json files, with the
date and location of each image for MetaFormer's spatio-temporal prior."""
import json
import math
import os.path as osp
import re
from typing import List, Optional, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from mmlt.registry import DATASETS
from .image_errors import EmptyImageFileMixin

__all__ = ['INaturalist', 'parse_date', 'parse_coordinates']

# "YYYY-MM-DD", optionally followed by " HH:MM[:SS]" (2018 / 2021 add a
# time and a time zone such as "+00:00", which is ignored).
_DATE = re.compile(r'^\s*(\d{4})-(\d{1,2})-(\d{1,2})'
                   r'(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?')

OK, MISSING, MALFORMED = 'ok', 'missing', 'malformed'


def parse_date(value) -> Tuple[Optional[int], Optional[int], str]:
    """``(month, hour, status)`` of an iNaturalist date string.

    ``None`` or ``''`` is missing. A date without a time has ``hour=None``
    (all of iNat 2017). A string that is not ``YYYY-MM-DD[ HH:MM[:SS]]``,
    or has a month outside 1..12, a day outside 1..31 or an hour outside
    0..23, is malformed: ``(None, None, 'malformed')``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None, MISSING
    if not isinstance(value, str):
        return None, None, MALFORMED
    m = _DATE.match(value)
    if m is None:
        return None, None, MALFORMED
    month, day = int(m.group(2)), int(m.group(3))
    hour = None if m.group(4) is None else int(m.group(4))
    if not (1 <= month <= 12 and 1 <= day <= 31) or \
            (hour is not None and not 0 <= hour <= 23):
        return None, None, MALFORMED
    return month, hour, OK


def _coordinate(value, limit: float) -> Optional[float]:
    if isinstance(value, bool):
        raise ValueError
    value = float(value)
    if not math.isfinite(value) or abs(value) > limit:
        raise ValueError
    return value


def parse_coordinates(
        latitude, longitude) -> Tuple[Optional[float], Optional[float], str]:
    """``(latitude, longitude, status)`` in degrees.

    Missing when either is ``None``; malformed when either is not a finite
    number or out of range (``|lat| <= 90``, ``|lon| <= 180``). ``0.0`` is a
    valid coordinate.
    """
    if latitude is None or longitude is None:
        return None, None, MISSING
    try:
        return _coordinate(latitude, 90.), _coordinate(longitude, 180.), OK
    except (TypeError, ValueError):
        return None, None, MALFORMED


def _load_json(path: str, owner: str, what: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: {what} {path} does not exist.')
    with open(path) as f:
        return json.load(f)


@DATASETS.register_module()
class INaturalist(EmptyImageFileMixin, BaseDataset):
    """iNaturalist 2017, 2018 or 2021 (Van Horn et al.) from the official
    COCO-style json files, long-tailed in the training split.

    ``data_root`` holds the json files and the image folders named by the
    images' ``file_name``. Default files per ``version`` and ``split``:

    ====== ======================= ===========================
    year   annotations             locations (``with_meta``)
    ====== ======================= ===========================
    2017   ``{split}2017.json``    ``{split}2017_locations.json``
    2018   ``{split}2018.json``    ``{split}2018_locations.json``
    2021   ``{split}.json``        in the annotation file
    ====== ======================= ===========================

    Labels: images and annotations are matched by ``image_id`` (not by
    position); class ``i`` is the ``i``-th category id in increasing order
    (the category id itself for the official files), named by the
    category's ``name`` or, when ``categories_file`` (the 2018
    ``categories.json``) is given, by its ``name`` there.

    Meta (``with_meta=True``): the ``date``, ``lat`` and ``lon`` of each
    image (2017/2018 location files, matched by ``id``) or its ``date``,
    ``latitude`` and ``longitude`` (2021) are parsed by :func:`parse_date` and
    :func:`parse_coordinates` into ``month``, ``hour``, ``latitude`` and
    ``longitude`` of the data info (``None`` when unknown), which
    :class:`SpatioTemporalMeta` encodes. Missing values and images without a
    location record are counted and logged; malformed values are counted,
    reported once as a warning (with the first example) and treated as
    unknown. The counts are in :attr:`meta_stats`.

    Args:
        data_root (str): Dataset root.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        version (int): 2017, 2018 or 2021. Defaults to 2018.
        ann_file (str, optional): Annotation json relative to ``data_root``
            (e.g. ``'train_mini.json'`` for 2021). Defaults as above.
        locations_file (str, optional): Locations json (2017 / 2018).
            Defaults as above.
        categories_file (str, optional): json list of categories with
            ``id`` and ``name`` to name the classes.
        with_meta (bool): Load the date and location. Defaults to False.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """
    VERSIONS = (2017, 2018, 2021)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 version: int = 2018,
                 ann_file: Optional[str] = None,
                 locations_file: Optional[str] = None,
                 categories_file: Optional[str] = None,
                 with_meta: bool = False,
                 **kwargs):
        if version not in self.VERSIONS:
            raise ValueError(f'INaturalist version must be one of '
                             f'{self.VERSIONS}, got {version!r}.')
        if split not in ('train', 'val'):
            raise ValueError(f"INaturalist split must be 'train' or 'val', "
                             f'got {split!r}.')
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'INaturalist: data root {data_root} does not exist.')
        suffix = '' if version == 2021 else str(version)
        self.split = split
        self.version = version
        self.with_meta = with_meta
        self.locations_file = None
        if with_meta and version != 2021:
            self.locations_file = osp.join(
                data_root, locations_file
                or f'{split}{version}_locations.json')
        self.categories_file = None if categories_file is None else \
            osp.join(data_root, categories_file)
        self.meta_stats = {}
        self._labels = None
        super().__init__(
            ann_file=ann_file or f'{split}{suffix}.json',
            data_root=data_root,
            **kwargs)

    def _classes(self, categories: List[dict]) -> Tuple[dict, tuple]:
        ids = sorted(int(c['id']) for c in categories)
        if len(set(ids)) != len(ids):
            raise ValueError(f'{self.ann_file}: duplicate category ids.')
        names = {int(c['id']): str(c.get('name', c['id'])) for c in categories}
        if self.categories_file is not None:
            extra = _load_json(self.categories_file, 'INaturalist',
                               'categories file')
            names.update({int(c['id']): str(c['name']) for c in extra})
        return ({
            cid: i
            for i, cid in enumerate(ids)
        }, tuple(names[cid] for cid in ids))

    def _locations(self, images: List[dict]) -> dict:
        """image id -> (date, latitude, longitude)."""
        if self.version == 2021:
            return {
                img['id']:
                (img.get('date'), img.get('latitude'), img.get('longitude'))
                for img in images
            }
        records = _load_json(self.locations_file, 'INaturalist',
                             'locations file')
        return {
            r['id']: (r.get('date'), r.get('lat'), r.get('lon'))
            for r in records
        }

    def load_data_list(self) -> List[dict]:
        info = _load_json(self.ann_file, 'INaturalist', 'annotation file')
        for key in ('images', 'annotations', 'categories'):
            if key not in info:
                raise KeyError(f'{self.ann_file} has no "{key}" list.')
        label_of, classes = self._classes(info['categories'])
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = classes

        category_of = {}
        for ann in info['annotations']:
            image_id = ann['image_id']
            if image_id in category_of:
                raise ValueError(f'{self.ann_file}: image {image_id} has '
                                 'more than one annotation.')
            category_of[image_id] = int(ann['category_id'])
        locations = self._locations(info['images']) if self.with_meta \
            else {}

        stats = dict(
            date_missing=0,
            date_malformed=0,
            location_missing=0,
            location_malformed=0,
            no_record=0)
        first_bad = {}
        data_list, labels = [], []
        for img in info['images']:
            image_id = img['id']
            if image_id not in category_of:
                raise ValueError(f'{self.ann_file}: image {image_id} '
                                 f'({img.get("file_name")}) has no '
                                 'annotation.')
            category = category_of[image_id]
            if category not in label_of:
                raise ValueError(f'{self.ann_file}: image {image_id} has '
                                 f'unknown category_id {category}.')
            item = dict(
                img_path=osp.join(self.data_root, img['file_name']),
                gt_label=label_of[category])
            if self.with_meta:
                if image_id in locations:
                    date, lat, lon = locations[image_id]
                else:
                    stats['no_record'] += 1
                    date = lat = lon = None
                month, hour, status = parse_date(date)
                stats[f'date_{status}'] = stats.get(f'date_{status}', 0) + 1
                if status == MALFORMED:
                    first_bad.setdefault('date', (image_id, date))
                lat, lon, status = parse_coordinates(lat, lon)
                stats[f'location_{status}'] = \
                    stats.get(f'location_{status}', 0) + 1
                if status == MALFORMED:
                    first_bad.setdefault('location',
                                         (image_id, locations[image_id][1:]))
                item.update(
                    month=month, hour=hour, latitude=lat, longitude=lon)
            data_list.append(item)
            labels.append(item['gt_label'])
        if not data_list:
            raise ValueError(f'{self.ann_file} has no images.')
        self._labels = np.asarray(labels, dtype=np.int64)
        if self.with_meta:
            stats.pop('date_ok', None)
            stats.pop('location_ok', None)
            self.meta_stats = stats
            self._report(stats, first_bad, len(data_list))
        return data_list

    def _report(self, stats: dict, first_bad: dict, total: int) -> None:
        logger = MMLogger.get_current_instance()
        source = self.locations_file or self.ann_file
        logger.info(
            f'INaturalist {self.version} {self.split}: {total} images; '
            f'unknown date {stats["date_missing"]}, unknown location '
            f'{stats["location_missing"]}, no location record '
            f'{stats["no_record"]} (encoded as zeros).')
        bad = []
        if stats['date_malformed']:
            image_id, value = first_bad['date']
            bad.append(f'{stats["date_malformed"]} malformed dates (first: '
                       f'image {image_id}, {value!r})')
        if stats['location_malformed']:
            image_id, value = first_bad['location']
            bad.append(f'{stats["location_malformed"]} malformed coordinates'
                       f' (first: image {image_id}, lat/lon {value!r})')
        if bad:
            logger.warning(f'{source}: ' + ' and '.join(bad) +
                           '; treated as unknown (zeros).')

    def get_gt_labels(self) -> np.ndarray:
        """All labels, without deserializing every sample when possible."""
        if self._labels is not None and len(self._labels) == len(self):
            return self._labels.copy()
        return super().get_gt_labels()

    def extra_repr(self) -> List[str]:
        return [
            f'Version: \t{self.version}', f'Split: \t{self.split}',
            f'With meta: \t{self.with_meta}'
        ]
