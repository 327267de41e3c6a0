# Copyright (c) mmlt contributors. All rights reserved.
"""MetaFormer's spatio-temporal prior for iNaturalist (Diao et al., arXiv
2203.02751): a 7-d vector ``[sin m, cos m, sin h, cos h, x, y, z]`` with the
month ``m`` and hour ``h`` on the unit circle (periods 12 and 24) and the
location on the unit sphere."""
import math
from typing import List, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmlt.registry import TRANSFORMS

__all__ = [
    'SpatioTemporalMeta', 'encode_date', 'encode_location',
    'encode_spatio_temporal'
]


def encode_date(month: Optional[int], hour: Optional[int]) -> List[float]:
    """``[sin(2 pi m/12), cos(2 pi m/12), sin(2 pi h/24), cos(2 pi h/24)]``;
    a missing (``None``) month or hour gives zeros for its two entries."""
    out = [0., 0., 0., 0.]
    if month is not None:
        angle = 2 * math.pi * month / 12
        out[0:2] = [math.sin(angle), math.cos(angle)]
    if hour is not None:
        angle = 2 * math.pi * hour / 24
        out[2:4] = [math.sin(angle), math.cos(angle)]
    return out


def encode_location(latitude: Optional[float],
                    longitude: Optional[float]) -> List[float]:
    """Latitude and longitude (degrees) on the unit sphere:
    ``[cos(lat) cos(lon), cos(lat) sin(lon), sin(lat)]``.

    Missing means ``None`` (either one): ``[0, 0, 0]``. An exact ``0.0``
    (the equator or the prime meridian) is a location, unlike the official
    ``if latitude and longitude`` test.
    """
    if latitude is None or longitude is None:
        return [0., 0., 0.]
    lat, lon = math.radians(latitude), math.radians(longitude)
    return [
        math.cos(lat) * math.cos(lon),
        math.cos(lat) * math.sin(lon),
        math.sin(lat)
    ]


def encode_spatio_temporal(month: Optional[int], hour: Optional[int],
                           latitude: Optional[float],
                           longitude: Optional[float]) -> np.ndarray:
    """The 7-d float32 vector: :func:`encode_date` then
    :func:`encode_location` (``meta_dims=(4, 3)``)."""
    return np.asarray(
        encode_date(month, hour) + encode_location(latitude, longitude),
        dtype=np.float32)


@TRANSFORMS.register_module()
class SpatioTemporalMeta(BaseTransform):
    """Encode the date and location of a sample into ``results['meta']``.

    Reads ``month``, ``hour``, ``latitude``, ``longitude`` (``None`` or
    absent when unknown; :class:`INaturalist` parses and validates them) and
    writes the 7-d vector of :func:`encode_spatio_temporal`. Pack it with
    ``PackInputs(algorithm_keys=['meta'])``.

    Args:
        use_date (bool): Encode the date (else zeros). Defaults to True.
        use_location (bool): Encode the location (else zeros).
            Defaults to True.
        out_key (str): Output key. Defaults to ``'meta'``.
    """

    def __init__(self,
                 use_date: bool = True,
                 use_location: bool = True,
                 out_key: str = 'meta'):
        self.use_date = use_date
        self.use_location = use_location
        self.out_key = out_key

    def transform(self, results: dict) -> dict:
        month = results.get('month') if self.use_date else None
        hour = results.get('hour') if self.use_date else None
        lat = results.get('latitude') if self.use_location else None
        lon = results.get('longitude') if self.use_location else None
        results[self.out_key] = encode_spatio_temporal(month, hour, lat, lon)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(use_date={self.use_date}, '
                f'use_location={self.use_location})')
