# Copyright (c) mmlt contributors. All rights reserved.
"""Shared fixtures: the real data in ``../shared/data`` (skipped with a clear
reason when absent) extracted once into a cache folder."""
import os
import os.path as osp
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get('MMLT_SHARED_DATA', REPO.parent / 'shared' / 'data'))
CACHE = Path(
    os.environ.get('MMLT_TEST_CACHE',
                   Path.home() / '.cache' / 'mmlt' / 'test-data'))


def _require_shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f'real-data test skipped: {path} not found '
                    '(../shared/data is absent on this machine)')
    return path


def _extract_once(archive: Path, top: str) -> Path:
    out = CACHE / top
    marker = CACHE / f'.{top}.done'
    if not marker.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter='data')
        marker.touch()
    return out


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """``../shared/data`` (skips when absent)."""
    if not SHARED_DATA.exists():
        pytest.skip(f'real-data test skipped: {SHARED_DATA} not found')
    return SHARED_DATA


@pytest.fixture(scope='session')
def cifar10_jpg_root() -> Path:
    """Extracted ``cifar10/`` tree (``train|test/<class>/*.jpg``)."""
    return _extract_once(_require_shared('cifar10-jpg.tgz'), 'cifar10')


@pytest.fixture(scope='session')
def tiny_imagenet_lt_root() -> Path:
    """Extracted ``tiny-imagenet-200-lt/``."""
    return _extract_once(
        _require_shared('tiny-imagenet-200-lt.tgz'), 'tiny-imagenet-200-lt')


@pytest.fixture(scope='session')
def lt_splits_root() -> Path:
    return _require_shared('lt_splits')


@pytest.fixture(scope='session')
def coco_tiny_root() -> Path:
    return _require_shared('coco_tiny')


@pytest.fixture(scope='session')
def demo_data_root(tmp_path_factory) -> Path:
    """The CIFAR-10-LT demo set shipped in ``demo/`` (always available)."""
    out = tmp_path_factory.mktemp('demo')
    with tarfile.open(REPO / 'demo' / 'cifar10_lt_demo.tar.gz') as tar:
        tar.extractall(out, filter='data')
    return out / 'cifar10_lt_demo'


@pytest.fixture(autouse=True)
def _chdir_repo(monkeypatch):
    """Run every test from the repository root (configs use relative paths)."""
    monkeypatch.chdir(REPO)


def pytest_report_header(config):
    return (f'mmlt shared data: {SHARED_DATA} '
            f'({"present" if osp.isdir(SHARED_DATA) else "absent"})')
