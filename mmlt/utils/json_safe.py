# Copyright (c) mmlt contributors. All rights reserved.
"""Strict-JSON output: NaN and infinities become ``null``."""
import json
import math
from typing import Any

import numpy as np

__all__ = ['json_safe', 'dump_json']


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that strict JSON parsers accept.

    Python's ``json`` writes a NaN as a bare ``NaN`` (and infinities as
    ``Infinity``), which is not JSON: strict parsers (``jq``, JavaScript's
    ``JSON.parse``, Go, ...) reject the file. NaN / inf floats (e.g. the
    accuracy of an empty shot group) become ``None`` (``null``); numpy
    scalars and arrays become Python numbers and lists; dicts, lists and
    tuples are converted recursively.

    Args:
        obj: A JSON-like structure.

    Returns:
        The converted structure.
    """
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dump_json(obj: Any, path: str, indent: int = 1) -> None:
    """Write ``json_safe(obj)`` to ``path`` as strict JSON.

    Args:
        obj: A JSON-like structure.
        path (str): Output file.
        indent (int): Indentation. Defaults to 1.
    """
    with open(path, 'w') as f:
        json.dump(json_safe(obj), f, indent=indent, allow_nan=False)
