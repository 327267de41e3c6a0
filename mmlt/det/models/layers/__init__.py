# Copyright (c) mmlt contributors. All rights reserved.
from .carafe_fallback import CARAFEPackWithFallback, carafe_reassemble
from .learnable_temp_normed_conv2d import LearnableTempNormedConv2d

__all__ = [
    'CARAFEPackWithFallback', 'carafe_reassemble', 'LearnableTempNormedConv2d'
]
