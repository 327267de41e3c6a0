# Copyright (c) mmlt contributors. All rights reserved.
from .normed_linear import NormedLinear

__all__ = ['NormedLinear']
