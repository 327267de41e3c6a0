# Copyright (c) mmlt contributors. All rights reserved.
"""Detection components of mmlt, registered into mmdet's registries.

``import mmlt.det`` (or ``custom_imports=dict(imports=['mmlt.det'])`` in an
mmdet config) imports :mod:`mmlt` and mmdet and registers:

- ``SEResNetAGLUDet``: the SE-ResNet AGLU/APA-SE backbone for detectors;
- ``GumbelDropLoss``: Gumbel BCE inside DropLoss for the RoI classifier;
- ``LearnableTempNormedConv2d``: cosine mask predictor with a learned
  temperature;
- ``CARAFEPackWithFallback`` / ``FCNMaskHeadWithCARAFEFallback``: CARAFE
  upsampling that also runs on CPU;
- ``LVISCompatMetric``: mmdet's ``LVISMetric`` working with numpy >= 1.24.

``import mmlt`` never imports this package (nor mmdet).
"""
import mmlt  # noqa: F401  (classification side, APA/AGLU layers)

try:
    import mmcv.ops  # noqa: F401
    import mmdet  # noqa: F401
except ImportError as e:  # e.g. the lite install of `make demo`
    raise ImportError(
        f'mmlt.det needs mmdet 3.3.0 and mmcv 2.1.0 with its compiled ops '
        f'({e}); `make install` (bash tools/install.sh full) installs both. '
        '`make demo` installs the classification stack only (mmcv-lite).'
    ) from e

from .evaluation import *  # noqa: F401,F403,E402
from .models import *  # noqa: F401,F403,E402
