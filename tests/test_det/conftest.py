# Copyright (c) mmlt contributors. All rights reserved.
"""Detection tests run under mmdet's default scope with mmlt.det imported."""
import pytest
from mmengine.registry import DefaultScope

import mmlt.det  # noqa: F401


@pytest.fixture(autouse=True)
def _mmdet_scope():
    """Build modules with mmdet's registries, as a Runner with
    ``default_scope='mmdet'`` does; the previous default scopes (none, for
    the classification tests) are restored afterwards."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield
