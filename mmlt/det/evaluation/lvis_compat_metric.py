# Copyright (c) mmlt contributors. All rights reserved.
import contextlib
from typing import Dict, Iterator

import numpy as np
from mmdet.evaluation import LVISMetric

from mmlt.det.registry import METRICS

__all__ = ['LVISCompatMetric', 'numpy_float_alias']

_MISSING = object()


@contextlib.contextmanager
def numpy_float_alias() -> Iterator[None]:
    """Provide ``numpy.float`` (removed in numpy 1.24) inside the block.

    ``lvis`` 0.5.3, the last PyPI release, calls ``np.float`` in
    ``LVISEval.accumulate``. The alias is set only when numpy lacks it and is
    removed again on exit, so nothing outside the block sees it.
    """
    previous = np.__dict__.get('float', _MISSING)
    if previous is _MISSING:
        np.float = float
    try:
        yield
    finally:
        if previous is _MISSING:
            np.__dict__.pop('float', None)


@METRICS.register_module()
class LVISCompatMetric(LVISMetric):
    """mmdet's ``LVISMetric`` (AP, AP50, AP75, APs/m/l and the LVIS
    frequency groups APr, APc, APf for ``bbox`` and ``segm``) made to run
    with numpy >= 1.24 and the PyPI ``lvis`` 0.5.3.

    Only :meth:`compute_metrics` changes: it runs mmdet's evaluation inside
    :func:`numpy_float_alias`. Results are prefixed ``lvis/`` as in mmdet
    (``lvis/bbox_APr``, ``lvis/segm_APf``, ...). Category ids are those of the
    annotation file in its order (the label order of ``LVISV1Dataset``), so
    LVIS-format files with COCO ids work too.

    Args:
        **kwargs: Arguments of ``mmdet.evaluation.LVISMetric``.
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        with numpy_float_alias():
            return super().compute_metrics(results)
