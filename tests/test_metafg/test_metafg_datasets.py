# Copyright (c) mmlt contributors. All rights reserved.
"""iNaturalist / CUB / NABirds loaders on tiny fixture files."""
import json
from unittest import mock

import numpy as np
import pytest
from mmengine.logging import MMLogger

import mmlt  # noqa: F401
from mmlt.datasets import CUBMeta, INaturalist, NABirds
from mmlt.utils import get_class_counts


def write_json(path, obj):
    path.write_text(json.dumps(obj))


def inat2018(root, split='train'):
    """5 images (ids 10..14) of 3 categories (ids 0, 1, 2; 3 / 1 / 1
    images); the annotation list is in another order than the images."""
    images = [
        dict(
            id=i,
            file_name=f'train_val2018/Plantae/{i}.jpg',
            width=8,
            height=8) for i in (10, 11, 12, 13, 14)
    ]
    cats = {10: 2, 11: 0, 12: 0, 13: 1, 14: 0}
    annotations = [
        dict(id=100 + k, image_id=i, category_id=cats[i])
        for k, i in enumerate((14, 12, 10, 13, 11))
    ]
    categories = [dict(id=c, name=str(c)) for c in (2, 0, 1)]
    write_json(
        root / f'{split}2018.json',
        dict(
            images=images,
            annotations=annotations,
            categories=categories,
            info={},
            licenses=[]))
    locations = [
        dict(
            id=10,
            lat=48.8566,
            lon=2.3522,
            loc_uncert=10,
            date='2018-07-14 10:00:00+00:00'),
        dict(id=11, lat=None, lon=None, loc_uncert=None, date=None),
        dict(
            id=12,
            lat=51.4769,
            lon=0.0,
            loc_uncert=5,
            date='2018-13-01 10:00:00+00:00'),  # bad month
        dict(
            id=13,
            lat=95.0,
            lon=10.0,
            loc_uncert=5,
            date='2018-01-01 00:00:00+00:00'),  # bad latitude
        # image 14 has no location record
    ]
    write_json(root / f'{split}2018_locations.json', locations)
    return cats


def test_inat2018_matched_by_id_with_meta(tmp_path):
    cats = inat2018(tmp_path)
    logger = MMLogger.get_current_instance()
    with mock.patch.object(logger, 'warning') as warning:
        ds = INaturalist(
            str(tmp_path), split='train', version=2018, with_meta=True)
    assert len(ds) == 5
    by_name = {
        ds.get_data_info(i)['img_path'].split('/')[-1]: ds.get_data_info(i)
        for i in range(len(ds))
    }
    for image_id, cat in cats.items():
        assert by_name[f'{image_id}.jpg']['gt_label'] == cat  # ids 0..2
    assert ds.metainfo['classes'] == ('0', '1', '2')
    assert get_class_counts(ds).tolist() == [3, 1, 1]

    paris = by_name['10.jpg']
    assert (paris['month'], paris['hour']) == (7, 10)
    assert (paris['latitude'], paris['longitude']) == (48.8566, 2.3522)
    greenwich = by_name['12.jpg']  # bad date, valid 0.0 longitude
    assert greenwich['month'] is None and greenwich['hour'] is None
    assert greenwich['longitude'] == 0.0
    bad_lat = by_name['13.jpg']
    assert bad_lat['latitude'] is None and bad_lat['month'] == 1
    assert by_name['14.jpg']['latitude'] is None
    assert ds.meta_stats == dict(
        date_missing=2,
        date_malformed=1,
        location_missing=2,
        location_malformed=1,
        no_record=1)
    # reported once, naming the file and the first example of each
    assert warning.call_count == 1
    msg = warning.call_args[0][0]
    assert 'train2018_locations.json' in msg
    assert "1 malformed dates (first: image 12, '2018-13-01" in msg
    assert '1 malformed coordinates (first: image 13' in msg


def test_inat_pipeline_gives_meta_vector(tmp_path):
    inat2018(tmp_path)
    ds = INaturalist(
        str(tmp_path),
        with_meta=True,
        pipeline=[
            dict(type='SpatioTemporalMeta'),
            dict(type='PackInputs', algorithm_keys=['meta'])
        ],
        serialize_data=False)
    index = [d['img_path'].endswith('/12.jpg') for d in ds.data_list]
    sample = ds[index.index(True)]['data_samples']
    # Greenwich: date malformed -> zeros; location kept although lon == 0
    assert sample.meta[:4].tolist() == [0, 0, 0, 0]
    assert sample.meta[4:] == pytest.approx([0.6229, 0., 0.7824], abs=1e-3)


def test_inat_vision_only_and_missing_files(tmp_path):
    inat2018(tmp_path)
    ds = INaturalist(str(tmp_path), version=2018)
    assert 'month' not in ds.get_data_info(0)
    (tmp_path / 'train2018_locations.json').unlink()
    with pytest.raises(
            FileNotFoundError,
            match='locations file .*train2018_locations.json'):
        INaturalist(str(tmp_path), version=2018, with_meta=True)
    with pytest.raises(FileNotFoundError, match='annotation file .*val2018'):
        INaturalist(str(tmp_path), split='val', version=2018)
    with pytest.raises(ValueError, match='version'):
        INaturalist(str(tmp_path), version=2019)


def test_inat_annotation_errors(tmp_path):
    write_json(
        tmp_path / 'train2018.json',
        dict(
            images=[
                dict(id=1, file_name='a.jpg'),
                dict(id=2, file_name='b.jpg')
            ],
            annotations=[dict(id=1, image_id=1, category_id=0)],
            categories=[dict(id=0, name='0')]))
    with pytest.raises(ValueError, match=r'image 2 \(b.jpg\) has no annot'):
        INaturalist(str(tmp_path))


def test_inat2017_and_2021(tmp_path):
    images = [
        dict(id=5, file_name='train_val_images/x/5.jpg'),
        dict(id=6, file_name='train_val_images/x/6.jpg')
    ]
    write_json(
        tmp_path / 'train2017.json',
        dict(
            images=images,
            annotations=[
                dict(id=1, image_id=6, category_id=7),
                dict(id=2, image_id=5, category_id=3)
            ],
            categories=[dict(id=7, name='Aves b'),
                        dict(id=3, name='Aves a')]))
    write_json(tmp_path / 'train2017_locations.json', [
        dict(id=5, lat=0.0, lon=32.5, loc_uncert=None, date='2017-06-21'),
        dict(
            id=6,
            lat=-33.8688,
            lon=151.2093,
            loc_uncert=None,
            date='2017-01-15'),
    ])
    ds = INaturalist(str(tmp_path), version=2017, with_meta=True)
    infos = sorted((ds.get_data_info(i) for i in range(2)),
                   key=lambda d: d['img_path'])
    assert [d['gt_label'] for d in infos] == [0, 1]  # ids 3 < 7
    assert ds.metainfo['classes'] == ('Aves a', 'Aves b')
    assert (infos[0]['month'], infos[0]['hour']) == (6, None)
    assert infos[0]['latitude'] == 0.0  # the equator is a location
    assert ds.meta_stats['date_malformed'] == 0

    root21 = tmp_path / 'inat21'
    root21.mkdir()
    write_json(
        root21 / 'val.json',
        dict(
            images=[
                dict(
                    id=1,
                    file_name='val/00001_x/1.jpg',
                    date='2019-05-04 18:05:00+00:00',
                    latitude=10.0,
                    longitude=None,
                    location_uncertainty=3)
            ],
            annotations=[dict(id=1, image_id=1, category_id=1)],
            categories=[
                dict(id=0, name='00000_a'),
                dict(id=1, name='00001_x')
            ]))
    ds = INaturalist(str(root21), split='val', version=2021, with_meta=True)
    info = ds.get_data_info(0)
    assert info['gt_label'] == 1 and (info['month'], info['hour']) == (5, 18)
    assert info['latitude'] is None  # longitude missing -> location missing
    assert ds.meta_stats['location_missing'] == 1
    assert get_class_counts(ds).tolist() == [0, 1]


# ---------------------------------------------------------------- CUB
def cub(root, attribute_lines=True):
    images = [
        '001.A/a_1.jpg', '001.A/a_2.jpg', '002.B/b_1.jpg', '002.B/b_2.jpg'
    ]
    (root / 'images.txt').write_text(''.join(f'{i + 1} {p}\n'
                                             for i, p in enumerate(images)))
    (root / 'image_class_labels.txt').write_text('1 1\n2 1\n3 2\n4 2\n')
    (root / 'train_test_split.txt').write_text('1 1\n2 0\n3 1\n4 1\n')
    if attribute_lines:
        (root / 'attributes').mkdir()
        lines = []
        for image in range(1, 5):
            for attr in range(1, 313):
                present = int(attr == image or attr == 312)
                if image == 3 and attr == 2:  # known 6-field line
                    lines.append(f'{image} {attr} {present} 3 0 27.5\n')
                else:
                    lines.append(f'{image} {attr} {present} 3 27.5\n')
        (root / 'attributes' / 'image_attribute_labels.txt').write_text(
            ''.join(lines))
    return images


def test_cub_attributes(tmp_path):
    cub(tmp_path)
    ds = CUBMeta(str(tmp_path), split='train', meta_type='attribute')
    counts = get_class_counts(ds)  # 200 CUB classes, 2 used here
    assert len(ds) == 3 and counts.shape == (200, )
    assert counts[:2].tolist() == [1, 2] and counts.sum() == 3
    info = [ds.get_data_info(i) for i in range(3)]
    assert [d['img_path'].split('/')[-1] for d in info] == \
        ['a_1.jpg', 'b_1.jpg', 'b_2.jpg']
    for d, image_id in zip(info, (1, 3, 4)):
        assert d['attributes'].shape == (312, )
        assert np.flatnonzero(d['attributes']).tolist() == [image_id - 1, 311]
    test = CUBMeta(str(tmp_path), split='test', meta_type='attribute')
    assert len(test) == 1 and test.get_data_info(0)['gt_label'] == 0


def test_cub_errors(tmp_path):
    cub(tmp_path, attribute_lines=False)
    with pytest.raises(
            FileNotFoundError,
            match='attribute file .*image_attribute_labels.txt'):
        CUBMeta(str(tmp_path), meta_type='attribute')
    (tmp_path / 'attributes').mkdir()
    (tmp_path / 'attributes' /
     'image_attribute_labels.txt').write_text('1 1 0 3 1.0\n1 400 1 3 1.0\n')
    with pytest.raises(
            ValueError, match=r'image_attribute_labels.txt:2: '
            'malformed'):
        CUBMeta(str(tmp_path), meta_type='attribute')
    with pytest.raises(ValueError, match='text_root'):
        CUBMeta(str(tmp_path), meta_type='text')
    (tmp_path / 'images.txt').unlink()
    with pytest.raises(FileNotFoundError, match='images.txt'):
        CUBMeta(str(tmp_path))


def test_cub_text(tmp_path):
    images = cub(tmp_path, attribute_lines=False)
    text = tmp_path / 'bert'
    for i, rel in enumerate(images):
        (text / rel).parent.mkdir(parents=True, exist_ok=True)
        np.save(text / rel.replace('.jpg', '.npy'),
                np.full((10, 32, 6), i, np.float32))
    ds = CUBMeta(
        str(tmp_path),
        meta_type='text',
        text_root=str(text),
        pipeline=[dict(type='TextEmbeddingMeta', caption_index=0)])
    out = ds.prepare_data(1)
    assert out['meta'].shape == (32, 6) and (out['meta'] == 2).all()
    (text / images[3].replace('.jpg', '.npy')).unlink()
    with pytest.raises(
            FileNotFoundError, match=r'1 caption embedding files .*b_2.npy'):
        CUBMeta(str(tmp_path), meta_type='text', text_root=str(text))


# ---------------------------------------------------------------- NABirds
def test_nabirds(tmp_path):
    ids = ['0a1', '0b2', '0c3', '0d4', '0e5']
    (tmp_path / 'images.txt').write_text(''.join(f'{i} 0{k}/{i}.jpg\n'
                                                 for k, i in enumerate(ids)))
    (tmp_path / 'image_class_labels.txt'
     ).write_text('0a1 295\n0b2 313\n0c3 295\n0d4 999\n0e5 313\n')
    (tmp_path /
     'train_test_split.txt').write_text('0a1 1\n0b2 1\n0c3 0\n0d4 1\n0e5 1\n')
    (tmp_path / 'classes.txt'
     ).write_text('295 Bald Eagle (Adult)\n313 Rock Pigeon\n999 Common Loon\n')
    ds = NABirds(str(tmp_path), split='train')
    assert ds.metainfo['classes'] == ('Bald Eagle (Adult)', 'Rock Pigeon',
                                      'Common Loon')
    assert get_class_counts(ds).tolist() == [1, 2, 1]
    assert ds.get_data_info(0)['img_path'].endswith('images/00/0a1.jpg')
    assert len(NABirds(str(tmp_path), split='test')) == 1
    (tmp_path / 'train_test_split.txt').write_text('0a1 1\n')
    with pytest.raises(ValueError, match='train_test_split.txt lacks image'):
        NABirds(str(tmp_path))
    (tmp_path / 'classes.txt').unlink()
    with pytest.raises(FileNotFoundError, match='classes.txt'):
        NABirds(str(tmp_path))
