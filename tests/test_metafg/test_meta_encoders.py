# Copyright (c) mmlt contributors. All rights reserved.
"""Meta encoders on real places and dates, checked by hand."""
import math

import numpy as np
import pytest

import mmlt  # noqa: F401
from mmlt.datasets.inaturalist import parse_coordinates, parse_date
from mmlt.datasets.transforms import (encode_date, encode_location,
                                      encode_spatio_temporal)
from mmlt.registry import TRANSFORMS

S3 = math.sqrt(3) / 2


@pytest.mark.parametrize(
    'date, month, hour, vector',
    [
        # iNat 2018/2021 style, with a time zone that is ignored.
        # July: 2*pi*7/12 = 210 deg -> (-1/2, -sqrt3/2); 10 h: 150 deg.
        ('2018-07-14 10:00:00+00:00', 7, 10, [-0.5, -S3, 0.5, -S3]),
        # New Year at midnight: January = 30 deg, 0 h = 0 deg.
        ('2018-01-01 00:00:00', 1, 0, [0.5, S3, 0., 1.]),
        # 18 h = 270 deg -> (-1, 0); March = 90 deg -> (1, 0).
        ('2021-03-20 18:05:00+00:00', 3, 18, [1., 0., -1., 0.]),
        # iNat 2017: a date without a time -> hour terms 0 (June = 180 deg)
        ('2017-06-21', 6, None, [0., -1., 0., 0.]),
        # December = 360 deg -> (0, 1), same as "month 0"
        ('2016-12-31 06:00:00', 12, 6, [0., 1., 1., 0.]),
    ])
def test_dates_by_hand(date, month, hour, vector):
    m, h, status = parse_date(date)
    assert (m, h, status) == (month, hour, 'ok')
    assert encode_date(m, h) == pytest.approx(vector, abs=1e-12)


@pytest.mark.parametrize('value', [
    '2018-13-01 10:00:00', '2018-00-10', '2018-05-40', '2018-05-04 25:00:00',
    'yesterday', '05/04/2018', 20180504
])
def test_malformed_dates(value):
    assert parse_date(value) == (None, None, 'malformed')


@pytest.mark.parametrize('value', [None, '', '  '])
def test_missing_dates(value):
    assert parse_date(value) == (None, None, 'missing')
    assert encode_date(None, None) == [0., 0., 0., 0.]


@pytest.mark.parametrize(
    'place, lat, lon, vector',
    [
        # Greenwich observatory: longitude exactly 0.0 (the official
        # `if lat and lon` would call it missing). cos 51.4769 deg =
        # cos 51 - sin 51 * 0.4769 pi / 180 = 0.62932 - 0.00647; sin
        # likewise 0.77715 + 0.00524 (first order, good to 1e-4).
        ('Greenwich', 51.4769, 0.0, [0.62285, 0., 0.78239]),
        # Null Island (0, 0): on the x axis.
        ('Null Island', 0.0, 0.0, [1., 0., 0.]),
        # On the equator in Lake Victoria, 32.5 E: (cos 32.5, sin 32.5, 0)
        ('Lake Victoria', 0.0, 32.5, [0.84339, 0.53730, 0.]),
        # North Pole: z = 1 whatever the longitude.
        ('North Pole', 90.0, 123.0, [0., 0., 1.]),
        # Paris 48.8566 N 2.3522 E: north (z > 0.75), just east (y small)
        ('Paris', 48.8566, 2.3522, [0.65739, 0.02700, 0.75307]),
        # Sydney 33.8688 S 151.2093 E: x < 0 (beyond 90 E), z < 0 (south)
        ('Sydney', -33.8688, 151.2093, [-0.72768, 0.39989, -0.55729]),
    ])
def test_places_by_hand(place, lat, lon, vector):
    la, lo, status = parse_coordinates(lat, lon)
    assert status == 'ok', place
    out = encode_location(la, lo)
    assert out == pytest.approx(vector, abs=1e-4), place
    assert sum(v * v for v in out) == pytest.approx(1.)


@pytest.mark.parametrize('lat, lon, status', [
    (None, 10., 'missing'),
    (10., None, 'missing'),
    (91., 0., 'malformed'),
    (0., -180.5, 'malformed'),
    ('north', 3., 'malformed'),
    (float('nan'), 3., 'malformed'),
    (True, 3., 'malformed'),
])
def test_bad_coordinates(lat, lon, status):
    assert parse_coordinates(lat, lon) == (None, None, status)
    assert encode_location(None, None) == [0., 0., 0.]


def test_spatio_temporal_vector_and_transform():
    vec = encode_spatio_temporal(7, 10, 0.0, 32.5)
    assert vec.dtype == np.float32 and vec.shape == (7, )
    assert vec == pytest.approx([-0.5, -S3, 0.5, -S3, 0.84339, 0.53730, 0.],
                                abs=1e-4)
    t = TRANSFORMS.build(dict(type='SpatioTemporalMeta'))
    out = t(dict(month=7, hour=10, latitude=0.0, longitude=32.5))
    assert np.allclose(out['meta'], vec)
    out = t(dict(month=None, hour=None, latitude=None, longitude=None))
    assert (out['meta'] == 0).all()
    no_loc = TRANSFORMS.build(
        dict(type='SpatioTemporalMeta', use_location=False))
    out = no_loc(dict(month=7, hour=10, latitude=0.0, longitude=32.5))
    assert (out['meta'][4:] == 0).all() and (out['meta'][:4] != 0).any()


def test_attribute_transform():
    t = TRANSFORMS.build(dict(type='AttributeMeta'))
    attrs = np.zeros(312, np.uint8)
    attrs[[0, 311]] = 1
    out = t(dict(attributes=attrs))
    assert out['meta'].dtype == np.float32
    assert out['meta'].sum() == 2 and out['meta'][311] == 1
    with pytest.raises(ValueError, match=r'312 attributes.*\(5,\).*x.jpg'):
        t(dict(attributes=np.zeros(5), img_path='x.jpg'))
    with pytest.raises(KeyError, match='CUBMeta'):
        t(dict())


def test_text_transform(tmp_path):
    emb = np.stack([np.full((4, 3), i, np.float32) for i in range(5)])
    path = tmp_path / 'img.npy'
    np.save(path, emb)
    fixed = TRANSFORMS.build(dict(type='TextEmbeddingMeta', caption_index=0))
    for _ in range(3):
        out = fixed(dict(text_embedding_path=str(path)))
        assert out['meta'].shape == (4, 3) and (out['meta'] == 0).all()
    rand = TRANSFORMS.build(dict(type='TextEmbeddingMeta'))
    np.random.seed(0)
    chosen = {
        int(rand(dict(text_embedding_path=str(path)))['meta'][0, 0])
        for _ in range(40)
    }
    assert chosen == {0, 1, 2, 3, 4}
    with pytest.raises(IndexError, match='5 captions'):
        TRANSFORMS.build(dict(type='TextEmbeddingMeta', caption_index=5))(
            dict(text_embedding_path=str(path)))
    bad = tmp_path / 'obj.npy'
    np.save(bad, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match='pickle'):
        fixed(dict(text_embedding_path=str(bad)))
