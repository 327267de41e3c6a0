import json
import math

import numpy as np

from mmlt.utils import dump_json, json_safe


def test_json_safe_replaces_non_finite_floats():
    obj = dict(
        a=float('nan'),
        b=[1.5, float('inf'), -float('inf')],
        c=(np.float32('nan'), np.int64(3)),
        d=np.array([1.0, np.nan]),
        e='NaN')
    assert json_safe(obj) == dict(
        a=None, b=[1.5, None, None], c=[None, 3], d=[1.0, None], e='NaN')
    assert math.isnan(obj['a'])  # the input is not modified


def test_dump_json_is_strict(tmp_path):
    path = tmp_path / 'x.json'
    dump_json(dict(few=float('nan'), many=np.float64(12.5)), str(path))

    def reject(name):
        raise ValueError(name)

    assert json.loads(
        path.read_text(), parse_constant=reject) == dict(
            few=None, many=12.5)
