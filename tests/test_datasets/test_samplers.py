import numpy as np
import pytest

from mmlt.datasets.samplers import (ClassBalancedSampler, ClassPriorSampler,
                                    ProgressiveSampler, SquareRootSampler)
from mmlt.registry import DATA_SAMPLERS


class FakeDataset:
    """400 samples of class 0, 100 of class 1 (sorted), 0 of class 2."""

    def __init__(self, counts=(400, 100)):
        self.labels = np.repeat(np.arange(len(counts)), counts)
        self.metainfo = dict(classes=tuple('abc'))

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels


def _class_freq(sampler, ds, epochs=4):
    labels = []
    for e in range(epochs):
        sampler.set_epoch(e)
        labels += ds.labels[list(sampler)].tolist()
    return np.bincount(labels, minlength=3) / len(labels)


@pytest.mark.parametrize(
    'cls,expected',
    [
        (ClassBalancedSampler, [0.5, 0.5, 0.]),
        (SquareRootSampler, [2 / 3, 1 / 3, 0.]),  # sqrt(400):sqrt(100) = 2:1
    ])
def test_class_probabilities(cls, expected):
    ds = FakeDataset()
    sampler = cls(ds, seed=0)
    np.testing.assert_allclose(sampler.class_probs(), expected)
    assert len(sampler) == 500
    np.testing.assert_allclose(_class_freq(sampler, ds), expected, atol=0.03)


def test_instance_balanced_q1():
    sampler = ClassPriorSampler(FakeDataset(), q=1., seed=0)
    np.testing.assert_allclose(sampler.class_probs(), [0.8, 0.2, 0.])


def test_within_class_buckets_cycle_through_all_images():
    ds = FakeDataset()
    idx = list(ClassBalancedSampler(ds, seed=3))
    minority = [i for i in idx if ds.labels[i] == 1]
    # ~250 draws of a 100-image class: every image used at least twice
    assert set(minority) == set(range(400, 500))
    counts = np.bincount(np.array(minority) - 400)
    assert counts.max() - counts.min() <= 1


def test_progressive_interpolates():
    ds = FakeDataset()
    sampler = ProgressiveSampler(ds, total_epochs=10, seed=0)
    np.testing.assert_allclose(sampler.class_probs(), [0.8, 0.2, 0.])
    sampler.set_epoch(5)
    np.testing.assert_allclose(sampler.class_probs(), [0.65, 0.35, 0.])
    sampler.set_epoch(10)
    np.testing.assert_allclose(sampler.class_probs(), [0.5, 0.5, 0.])
    with pytest.raises(ValueError, match='total_epochs'):
        ProgressiveSampler(ds, total_epochs=0)


def test_deterministic_and_epoch_dependent():
    ds = FakeDataset()
    a, b = ClassBalancedSampler(ds, seed=1), ClassBalancedSampler(ds, seed=1)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)


def test_ddp_ranks_split_one_epoch():
    ds = FakeDataset((7, 4))
    full = ClassBalancedSampler(ds, seed=5)
    shards = []
    for rank in range(3):
        s = ClassBalancedSampler(ds, seed=5)
        s.rank, s.world_size = rank, 3
        s.num_samples = int(np.ceil(11 / 3))
        s.total_size = s.num_samples * 3
        shards.append(list(s))
    assert all(len(x) == 4 for x in shards)
    # interleaving the shards gives one global (padded) stream
    merged = [shards[i % 3][i // 3] for i in range(12)]
    ref = ClassBalancedSampler(ds, seed=5)
    ref.total_size = 12
    assert merged == list(ref)
    assert len(full) == 11


def test_registered_and_built_from_config():
    ds = FakeDataset()
    sampler = DATA_SAMPLERS.build(
        dict(type='SquareRootSampler', seed=0), default_args=dict(dataset=ds))
    assert isinstance(sampler, SquareRootSampler)
    with pytest.raises(ValueError, match='empty'):
        ClassBalancedSampler(FakeDataset(()), seed=0)
