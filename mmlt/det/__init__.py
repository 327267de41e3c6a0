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
from .evaluation import *  # noqa: F401,F403,E402
from .models import *  # noqa: F401,F403,E402
