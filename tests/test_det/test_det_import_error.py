"""``import mmlt.det`` on the lite install (no mmcv ops / no mmdet) fails
with an error that says what to install."""
import importlib
import sys

import pytest


@pytest.mark.parametrize('missing', ['mmcv.ops', 'mmdet'])
def test_lite_install_error_names_what_is_missing(monkeypatch, missing):
    for name in list(sys.modules):
        if name == 'mmlt.det' or name.startswith('mmlt.det.'):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import -> ImportError
    with pytest.raises(
            ImportError,
            match=r'mmlt\.det needs mmdet 3\.3\.0 '
            r'and mmcv 2\.1\.0 with its compiled ops.*make '
            r'install'):
        importlib.import_module('mmlt.det')
