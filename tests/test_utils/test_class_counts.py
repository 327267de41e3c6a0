import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset

from mmlt.datasets import LTListDataset
from mmlt.utils import check_class_counts, get_class_counts


@pytest.fixture
def ds(tmp_path):
    (tmp_path / 'l.txt').write_text('a 0\nb 0\nc 0\nd 1\ne 2\n')
    return LTListDataset(
        data_root=str(tmp_path),
        ann_file='l.txt',
        metainfo=dict(classes=('x', 'y', 'z', 'w')))


def test_counts_plain(ds):
    assert get_class_counts(ds).tolist() == [3, 1, 1, 0]  # 4 classes named


def test_counts_unwrap_wrappers(ds):
    # distinct training images per class, not the repeated stream
    cbd = ClassBalancedDataset(ds, oversample_thr=0.5)
    assert len(cbd) > len(ds)
    assert get_class_counts(cbd).tolist() == [3, 1, 1, 0]
    assert get_class_counts(RepeatDataset(ds, times=3)).tolist() == \
        [3, 1, 1, 0]
    assert get_class_counts(ConcatDataset([ds, ds])).tolist() == \
        [6, 2, 2, 0]


def test_label_out_of_range(tmp_path):
    (tmp_path / 'l.txt').write_text('a 0\nb 5\n')
    ds = LTListDataset(data_root=str(tmp_path), ann_file='l.txt')
    with pytest.raises(ValueError, match='Label 5 is out of range'):
        get_class_counts(ds, num_classes=3)


def test_zero_count_class_is_named():
    with pytest.raises(ValueError, match=r'class 1 \(cat\), 3 \(dog\) has 0'):
        check_class_counts([4, 0, 2, 0],
                           'LDAMLoss',
                           class_names=['a', 'cat', 'b', 'dog'])
    with pytest.raises(ValueError, match='LDAMLoss needs'):
        check_class_counts([], 'LDAMLoss')
    np.testing.assert_array_equal(check_class_counts([3, 1]), [3, 1])


def test_empty_last_class_is_named(tmp_path):
    from mmlt.utils import class_names_of, empty_classes_text

    (tmp_path / 'l.txt').write_text('a 0\nb 1\nc 1\n')
    ds = LTListDataset(
        data_root=str(tmp_path),
        ann_file='l.txt',
        metainfo=dict(classes=('x', 'y', 'z')))
    counts = get_class_counts(RepeatDataset(ds, times=2))
    assert counts.tolist() == [1, 2, 0]
    assert class_names_of(RepeatDataset(ds, times=2)) == ('x', 'y', 'z')
    assert empty_classes_text(counts, ('x', 'y', 'z')) == \
        'class 2 (z) has 0 training images (of 3 classes)'
    assert empty_classes_text([1, 2]) is None
    # the dataset's own num_classes beats max(label) + 1
    ds = LTListDataset(
        data_root=str(tmp_path), ann_file='l.txt', num_classes=4)
    assert get_class_counts(ds).tolist() == [1, 2, 0, 0]
    assert get_class_counts(ConcatDataset([ds, ds])).tolist() == [2, 4, 0, 0]
