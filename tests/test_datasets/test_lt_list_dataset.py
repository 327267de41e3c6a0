import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile

from mmlt.datasets import (ImageNetLT, INat2018, LTListDataset, PlacesLT,
                           TinyImageNetLT)
from mmlt.evaluation.metrics import shot_groups


def _groups(counts):
    g = shot_groups(counts)
    return tuple(int((g == i).sum()) for i in range(3))


def _write(tmp_path, text, name='list.txt'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_reads_list(tmp_path):
    ann = _write(tmp_path, 'a/x.jpg 1\nb/y z.jpg 0\n\n')
    ds = LTListDataset(data_root=str(tmp_path), ann_file=ann, num_classes=2)
    assert len(ds) == 2
    assert ds.get_gt_labels().tolist() == [1, 0]
    assert ds.get_data_info(1)['img_path'].endswith('b/y z.jpg')


def test_missing_ann_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        LTListDataset(data_root=str(tmp_path), ann_file='missing.txt')


def test_missing_data_root_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='no_such_root'):
        LTListDataset(
            data_root=str(tmp_path / 'no_such_root'), ann_file='x.txt')


@pytest.mark.parametrize('line', ['a/x.jpg', 'a/x.jpg cat', 'a/x.jpg 1.5'])
def test_malformed_line_names_file_and_line(tmp_path, line):
    ann = _write(tmp_path, f'ok/1.jpg 0\n{line}\n')
    with pytest.raises(ValueError, match=r'list\.txt:2: malformed'):
        LTListDataset(data_root=str(tmp_path), ann_file=ann)


def test_label_out_of_range(tmp_path):
    ann = _write(tmp_path, 'ok/1.jpg 0\nok/2.jpg 1000\n')
    with pytest.raises(
            ValueError,
            match=r'list\.txt:2: label 1000 is out '
            r'of range \[0, 1000\)'):
        ImageNetLT(data_root=str(tmp_path), ann_file=ann)
    ann = _write(tmp_path, 'ok/1.jpg -1\n', 'neg.txt')
    with pytest.raises(ValueError, match=r'neg\.txt:1: label -1'):
        LTListDataset(data_root=str(tmp_path), ann_file=ann)


def test_unreadable_image_is_named(tmp_path):
    (tmp_path / 'bad.jpg').write_bytes(b'garbage')
    ann = _write(tmp_path, 'bad.jpg 0\n')
    ds = LTListDataset(
        data_root=str(tmp_path),
        ann_file=ann,
        pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(Exception, match='bad.jpg'):
        ds[0]
    ann = _write(tmp_path, 'absent.jpg 0\n', 'absent.txt')
    ds = LTListDataset(
        data_root=str(tmp_path), ann_file=ann, pipeline=[LoadImageFromFile()])
    with pytest.raises(Exception, match='absent.jpg'):
        ds[0]


def test_tiny_imagenet_lt_real(tiny_imagenet_lt_root):
    train = TinyImageNetLT(
        data_root=str(tiny_imagenet_lt_root), ann_file='train_lt_if100.txt')
    counts = np.bincount(train.get_gt_labels(), minlength=200)
    assert len(train) == 21549
    assert counts[0] == 500 and counts[-1] == 5
    # documented: int(500 * 0.01^(c/199)) per class
    assert counts.tolist() == [int(500 * 0.01**(c / 199)) for c in range(200)]
    assert _groups(counts) == (70, 70, 60)
    assert len(train.metainfo['classes']) == 200
    val = TinyImageNetLT(
        data_root=str(tiny_imagenet_lt_root),
        ann_file='val.txt',
        pipeline=[dict(type='LoadImageFromFile')])
    assert np.bincount(val.get_gt_labels()).tolist() == [50] * 200
    assert val[0]['img'].shape == (64, 64, 3)


def test_places_lt_split_real(lt_splits_root):
    train = PlacesLT(
        data_root=str(lt_splits_root), ann_file='Places_LT_train.txt')
    counts = np.bincount(train.get_gt_labels(), minlength=365)
    assert len(train) == 62500
    assert counts.max() == 4980 and counts.min() == 5
    assert _groups(counts) == (131, 163, 71)
    assert train.metainfo['classes'][0] == 'airfield'
    for split, n in (('val', 20), ('test', 100)):
        ds = PlacesLT(
            data_root=str(lt_splits_root), ann_file=f'Places_LT_{split}.txt')
        assert np.bincount(ds.get_gt_labels()).tolist() == [n] * 365


def test_imagenet_lt_and_inat_splits_real(lt_splits_root):
    for split, n in (('val', 20), ('test', 50)):
        ds = ImageNetLT(
            data_root=str(lt_splits_root), ann_file=f'ImageNet_LT_{split}.txt')
        assert np.bincount(ds.get_gt_labels()).tolist() == [n] * 1000
    inat = INat2018(
        data_root=str(lt_splits_root), ann_file='iNaturalist18_val.txt')
    assert len(inat) == 24426
    assert np.bincount(inat.get_gt_labels()).tolist() == [3] * 8142


def test_given_num_classes_is_honoured(tmp_path):
    from mmlt.utils import check_class_counts, get_class_counts

    # labels 0..2 only, but 5 classes declared: counts keep the last two
    ann = _write(tmp_path, 'a.jpg 0\nb.jpg 2\nc.jpg 1\n')
    ds = LTListDataset(data_root=str(tmp_path), ann_file=ann, num_classes=5)
    assert ds.num_classes == 5
    assert get_class_counts(ds).tolist() == [1, 1, 1, 0, 0]
    # a training split without images of a class (the last included) is named
    with pytest.raises(ValueError, match=r'class 3, 4 has 0 training images'):
        check_class_counts(get_class_counts(ds), 'LDAMLoss')
    # labels are checked against it at load, with file:line
    with pytest.raises(
            ValueError,
            match=r'list\.txt:2: label 2 is out of range \[0, 2\)'):
        LTListDataset(data_root=str(tmp_path), ann_file=ann, num_classes=2)


def test_zero_byte_image_is_named(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    ann = _write(tmp_path, 'empty.jpg 0\n')
    ds = LTListDataset(
        data_root=str(tmp_path),
        ann_file=ann,
        pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(OSError, match=r'empty\.jpg is empty \(0 bytes\)'):
        ds[0]
    # other errors pass unchanged
    (tmp_path / 'bad.jpg').write_bytes(b'garbage')
    ds = LTListDataset(
        data_root=str(tmp_path),
        ann_file=_write(tmp_path, 'bad.jpg 0\n', 'bad.txt'),
        pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(Exception, match='bad.jpg') as info:
        ds[0]
    assert '0 bytes' not in str(info.value)
