"""plot_per_class_accuracy, alone and with a reference run."""
import pytest

from mmlt.evaluation import plot_per_class_accuracy

PER_CLASS = dict(
    train_counts=[500, 100, 20, 5],
    accuracy=[90.0, 60.0, None, 10.0],
    group=['many', 'medium', 'medium', 'few'],
    summary=dict(top1=40.0, many=90.0, medium=60.0, few=None))


def _is_png(path):
    with open(path, 'rb') as f:
        return f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_plot_alone_and_with_reference(tmp_path):
    out = plot_per_class_accuracy(PER_CLASS, str(tmp_path / 'a.png'))
    assert _is_png(out)
    ref = dict(PER_CLASS, accuracy=[95.0, 40.0, 0.0, 0.0])
    out = plot_per_class_accuracy(
        PER_CLASS,
        str(tmp_path / 'b.png'),
        reference=ref,
        labels=('Balanced Softmax', 'plain CE'))
    assert _is_png(out)


def test_reference_of_other_classes_is_refused(tmp_path):
    ref = dict(PER_CLASS, train_counts=[500, 100, 20, 4])
    with pytest.raises(
            ValueError, match=r'other train counts.*\[500, 100, '
            r'20, 4\]'):
        plot_per_class_accuracy(
            PER_CLASS, str(tmp_path / 'c.png'), reference=ref)
