import os
import pickle

import numpy as np
import pytest

from mmlt.datasets import (CIFAR10LT, CIFAR100LT, long_tailed_counts,
                           select_long_tailed)

# Documented sizes (Cao et al. protocol; spec multi_expert.md §1.1).
CIFAR10_IF100 = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


@pytest.mark.parametrize('num_classes,img_max,imb,total,groups', [
    (100, 500, 100, 10847, (35, 35, 30)),
    (100, 500, 50, 12608, (41, 41, 18)),
    (100, 500, 10, 19573, (69, 31, 0)),
    (10, 5000, 100, 12406, (8, 2, 0)),
    (10, 5000, 50, 13996, (9, 1, 0)),
])
def test_exp_profile_matches_documented_sizes(num_classes, img_max, imb, total,
                                              groups):
    counts = np.array(long_tailed_counts(num_classes, img_max, imb))
    assert counts.sum() == total
    assert counts[0] == img_max and counts[-1] == int(img_max / imb)
    got = ((counts > 100).sum(), ((counts >= 20) & (counts <= 100)).sum(),
           (counts < 20).sum())
    assert got == groups


def test_step_profile():
    assert long_tailed_counts(4, 100, 10, 'step') == [100, 100, 10, 10]


@pytest.mark.parametrize('imb', [0, -3, 0.5])
def test_bad_imb_factor(imb):
    with pytest.raises(ValueError, match='imb_factor'):
        long_tailed_counts(10, 100, imb)


def test_bad_imb_type():
    with pytest.raises(ValueError, match="imb_type"):
        long_tailed_counts(10, 100, 10, 'linear')


def test_selection_shuffle_is_the_ldam_protocol():
    labels = np.repeat(np.arange(3), 6)
    keep = select_long_tailed(labels, [4, 2, 1], 'shuffle', seed=0)
    # LDAM-DRW: np.random.seed(0) once, then per class shuffle & keep first.
    np.random.seed(0)
    expected = []
    for c, n in enumerate([4, 2, 1]):
        idx = np.where(labels == c)[0]
        np.random.shuffle(idx)
        expected += list(idx[:n])
    assert keep.tolist() == expected


def test_selection_first_keeps_file_order():
    labels = np.array([0, 1, 0, 1, 0, 1])
    keep = select_long_tailed(labels, [2, 1], 'first')
    assert keep.tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match='selection'):
        select_long_tailed(labels, [2, 1], 'random')
    with pytest.raises(ValueError, match='fewer'):
        select_long_tailed(labels, [4, 1], 'first')


def test_missing_data_root_names_the_path(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        CIFAR10LT(data_root=missing)


def test_bad_imb_factor_at_build(tmp_path):
    with pytest.raises(ValueError, match='imb_factor'):
        CIFAR10LT(data_root=str(tmp_path), imb_factor=0.5)


def _write_fake_cifar10_pickles(root, per_class=20):
    """Tiny CIFAR-10 pickles with the real format (md5 check disabled)."""
    folder = root / 'cifar-10-batches-py'
    folder.mkdir(parents=True)
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(10), per_class)
    rng.shuffle(labels)
    data = rng.randint(0, 255, (len(labels), 3072), dtype=np.uint8)
    with open(folder / 'data_batch_1', 'wb') as f:
        pickle.dump({'data': data, 'labels': labels.tolist()}, f)
    with open(folder / 'test_batch', 'wb') as f:
        pickle.dump({'data': data[:30], 'labels': labels[:30].tolist()}, f)
    return labels


def test_pickle_format(tmp_path, monkeypatch):
    monkeypatch.setattr(CIFAR10LT, 'train_list', [['data_batch_1', None]])
    monkeypatch.setattr(CIFAR10LT, 'test_list', [['test_batch', None]])
    labels = _write_fake_cifar10_pickles(tmp_path)
    ds = CIFAR10LT(data_root=str(tmp_path), imb_factor=10)
    expected = long_tailed_counts(10, 20, 10)
    assert np.bincount(ds.get_gt_labels()).tolist() == expected
    assert tuple(ds[0]['img'].shape) == (32, 32, 3)
    keep = select_long_tailed(labels, expected, 'shuffle', 0)
    assert [d['gt_label'] for d in ds.load_data_list()] == \
        labels[keep].tolist()
    test = CIFAR10LT(data_root=str(tmp_path), split='test')
    assert len(test) == 30  # test split stays as is


def test_image_folder_errors(tmp_path):
    (tmp_path / 'train' / 'airplane').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='automobile'):
        CIFAR10LT(data_root=str(tmp_path))


def test_unreadable_image_is_named(tmp_path):
    for name in CIFAR10LT.METAINFO['classes']:
        d = tmp_path / 'train' / name
        d.mkdir(parents=True)
        (d / '0001.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(OSError, match='0001.jpg'):
        CIFAR10LT(data_root=str(tmp_path), imb_factor=1)


def test_real_cifar10_lt_from_image_folder(cifar10_jpg_root):
    ds = CIFAR10LT(data_root=str(cifar10_jpg_root), imb_factor=100)
    assert np.bincount(ds.get_gt_labels()).tolist() == CIFAR10_IF100
    assert len(ds) == 12406
    sample = ds[0]
    assert tuple(sample['img'].shape) == (32, 32, 3)
    test = CIFAR10LT(data_root=str(cifar10_jpg_root), split='test')
    assert np.bincount(test.get_gt_labels()).tolist() == [1000] * 10
    first = CIFAR10LT(
        data_root=str(cifar10_jpg_root), imb_factor=100, selection='first')
    assert len(first) == 12406
    # "first" keeps the first n_c sorted files of each class
    files = sorted(os.listdir(cifar10_jpg_root / 'train' / 'truck'))[:50]
    import mmcv
    truck = mmcv.imread(
        str(cifar10_jpg_root / 'train' / 'truck' / files[0]),
        channel_order='rgb')
    truck_samples = [
        d['img'] for d in first.load_data_list() if d['gt_label'] == 9
    ]
    assert np.array_equal(truck_samples[0], truck)


def test_cifar100lt_is_registered():
    from mmlt.registry import DATASETS
    assert DATASETS.get('CIFAR100LT') is CIFAR100LT


@pytest.mark.parametrize('imb', [float('nan'), float('inf'), True, '100'])
def test_non_finite_imb_factor_is_named(imb):
    with pytest.raises(ValueError, match=r'imb_factor.*got'):
        long_tailed_counts(10, 5000, imb)


@pytest.mark.parametrize('imb', [float('nan'), float('inf')])
def test_non_finite_imb_factor_at_build(tmp_path, imb):
    with pytest.raises(ValueError, match=f'imb_factor.*{imb}'):
        CIFAR10LT(data_root=str(tmp_path), imb_factor=imb)


@pytest.mark.parametrize('imb,empty', [(1e4, 9), (1e6, 6)])
def test_imb_factor_leaving_an_empty_class(imb, empty):
    # CIFAR-10: 5000 head images; 1e4 empties the last class, 1e6 class 6.
    with pytest.raises(ValueError) as info:
        long_tailed_counts(
            10, 5000, imb, classes=CIFAR10LT.METAINFO['classes'])
    msg = str(info.value)
    assert f'imb_factor={imb!r}' in msg
    assert f'class {empty} ' in msg
    assert repr(CIFAR10LT.METAINFO['classes'][empty]) in msg
    with pytest.raises(ValueError, match='class 2 would get 0'):
        long_tailed_counts(4, 10, 100, 'step')


def test_imb_factor_too_large_for_the_data(tmp_path, monkeypatch):
    monkeypatch.setattr(CIFAR10LT, 'train_list', [['data_batch_1', None]])
    monkeypatch.setattr(CIFAR10LT, 'test_list', [['test_batch', None]])
    _write_fake_cifar10_pickles(tmp_path)  # 20 images per class
    with pytest.raises(ValueError, match=r"imb_factor=100.*class \d+ \('"):
        CIFAR10LT(data_root=str(tmp_path), imb_factor=100)


@pytest.mark.parametrize('layout', ['empty', 'wrong'])
def test_unusable_data_root_lists_the_accepted_layouts(tmp_path, layout):
    if layout == 'wrong':
        (tmp_path / 'images' / 'airplane').mkdir(parents=True)
        (tmp_path / 'cifar-10-batches-py').mkdir()
        (tmp_path / 'cifar-10-batches-py' / 'data_batch_1').write_bytes(b'x')
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10LT(data_root=str(tmp_path))
    msg = str(info.value)
    assert str(tmp_path) in msg
    assert 'cifar-10-batches-py/' in msg
    assert 'train/<class name>/*.jpg' in msg
    assert 'test/<class name>/*.jpg' in msg
    with pytest.raises(FileNotFoundError, match='cifar-100-python/'):
        CIFAR100LT(data_root=str(tmp_path))


def test_missing_split_folder_lists_the_accepted_layouts(tmp_path):
    (tmp_path / 'train').mkdir()
    with pytest.raises(FileNotFoundError, match=r'test.*cifar-10-batches-py/'):
        CIFAR10LT(data_root=str(tmp_path), split='test')


def test_zero_byte_image_is_named(tmp_path):
    for name in CIFAR10LT.METAINFO['classes']:
        d = tmp_path / 'train' / name
        d.mkdir(parents=True)
        (d / '0001.jpg').write_bytes(b'')
    with pytest.raises(OSError, match=r'0001\.jpg is empty \(0 bytes\)'):
        CIFAR10LT(data_root=str(tmp_path), imb_factor=1)
