# Copyright (c) mmlt contributors. All rights reserved.
"""Fixtures of the end-to-end method checks: method configs shrunk to the
shipped CIFAR-10-LT demo set."""
import pytest
import torch

from .._demo import make_tiny_cfg


@pytest.fixture
def tiny_cfg(demo_data_root):
    """``tiny_cfg(config_path, work_dir, **kwargs)``, see
    :func:`make_tiny_cfg`."""

    def make(path, work_dir, **kwargs):
        return make_tiny_cfg(path, demo_data_root, work_dir, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a shared 2-core machine, waiting for a
    descheduled OpenMP thread costs ~20 ms per op; tiny tensors gain nothing
    from a second thread anyway."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
