# Copyright (c) mmlt contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
# registered helpers built by name from configs
from .utils import LogitsBank  # noqa: F401
from .utils import PartialOTPseudoLabeler  # noqa: F401
from .utils import SemanticPartialOTPseudoLabeler  # noqa: F401
