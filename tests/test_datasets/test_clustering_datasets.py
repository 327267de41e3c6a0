# Copyright (c) mmlt contributors. All rights reserved.
"""ImageNet-R long-tailed split and iNaturalist 2018 class subsets (P²OT
protocol) on small synthetic file trees / lists."""
import numpy as np
import pytest

from mmlt.datasets import ImageNetRLT, INat2018Subset, inat_subset_classes


def paths(dataset):
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


@pytest.fixture
def imagenet_r(tmp_path):
    root = tmp_path / 'imagenet-r'
    sizes = {'n01': 7, 'n02': 12, 'n03': 9, 'n04': 12}
    for wnid, n in sizes.items():
        (root / wnid).mkdir(parents=True)
        for i in range(n):
            (root / wnid / f'art_{i:02d}.jpg').write_bytes(b'')
        (root / wnid / 'notes.txt').write_text('not an image')
    return root, sizes


def test_imagenet_r_split_and_reindexing(imagenet_r):
    root, sizes = imagenet_r
    train = ImageNetRLT(str(root), split='train', test_per_class=3)
    test = ImageNetRLT(str(root), split='test', test_per_class=3)
    assert len(test) == 4 * 3 and len(train) == sum(sizes.values()) - 12
    # class 0 = most training images, ties keep folder order
    assert train.metainfo['classes'] == ('n02', 'n04', 'n03', 'n01')
    counts = np.bincount(train.get_gt_labels())
    assert counts.tolist() == [9, 9, 6, 4]
    assert np.bincount(test.get_gt_labels()).tolist() == [3, 3, 3, 3]
    train_files, test_files = set(paths(train)), set(paths(test))
    assert not train_files & test_files
    assert len(train_files | test_files) == sum(sizes.values())
    # the draw is seeded: same split again, another with another seed
    again = ImageNetRLT(str(root), split='test', test_per_class=3)
    assert paths(again) == paths(test)
    other = ImageNetRLT(str(root), split='test', test_per_class=3, seed=1)
    assert set(paths(other)) != test_files


def test_imagenet_r_errors(imagenet_r, tmp_path):
    root, _ = imagenet_r
    with pytest.raises(ValueError, match='split'):
        ImageNetRLT(str(root), split='val')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        ImageNetRLT(str(tmp_path / 'missing'))
    with pytest.raises(ValueError, match='n01 has 7 images'):
        ImageNetRLT(str(root), test_per_class=7)


def test_inat_subset_classes_by_hand():
    # 16 classes: class c has 100 - 5c images except ties at 3 and 4
    counts = [100 - 5 * c for c in range(16)]
    counts[4] = counts[3]
    labels = np.repeat(np.arange(16), counts)
    ranking = inat_subset_classes(labels, 8142, total=16)
    assert ranking.tolist() == list(range(16))  # tie 3/4 kept by id
    # 2000 = every 4th of the ranking (8142 // 2000 = 4), then every 2nd
    assert inat_subset_classes(labels, 2000, total=16).tolist() == \
        [0, 4, 8, 12]
    assert inat_subset_classes(labels, 1000, total=16).tolist() == [0, 8]
    with pytest.raises(ValueError, match='num_classes must be one of'):
        inat_subset_classes(labels, 300)


def test_inat_subset_dataset_filters_and_reindexes(tmp_path):
    # 8142 classes: the most frequent are 7, 3, 5, ... (by construction)
    rng = np.random.RandomState(0)
    counts = rng.randint(1, 4, 8142)
    top = [7, 3, 5, 11, 2]
    for rank, c in enumerate(top):
        counts[c] = 100 - rank
    lines = [
        f'train/{c}/{i}.jpg {c}' for c in range(8142) for i in range(counts[c])
    ]
    (tmp_path / 'train.txt').write_text('\n'.join(lines))
    val = [f'val/{c}/{i}.jpg {c}' for c in range(8142) for i in range(3)]
    (tmp_path / 'val.txt').write_text('\n'.join(val))
    train = INat2018Subset(str(tmp_path), 'train.txt', num_classes=100)
    expected = inat_subset_classes(np.repeat(np.arange(8142), counts), 100)
    assert expected[0] == 7  # the largest class is in every subset
    assert train.metainfo['classes'] == tuple(str(c) for c in expected)
    labels = train.get_gt_labels()
    assert labels.max() == 99 and np.bincount(labels)[0] == 100
    assert len(train) == int(counts[expected].sum())
    assert str(tmp_path / 'train/7/0.jpg') in paths(train)
    test = INat2018Subset(
        str(tmp_path), 'val.txt', num_classes=100, ranking_file='train.txt')
    assert len(test) == 300
    assert np.bincount(test.get_gt_labels()).tolist() == [3] * 100
    assert test.metainfo['classes'] == train.metainfo['classes']
    with pytest.raises(FileNotFoundError, match='ranking_file'):
        INat2018Subset(str(tmp_path), 'val.txt', ranking_file='nope.txt')
