# Copyright (c) mmlt contributors. All rights reserved.
from .official_code import (cuda_as_noop, load_official, load_official_deit_lt,
                            load_official_shike, randomise_bn)

__all__ = [
    'load_official', 'load_official_shike', 'load_official_deit_lt',
    'cuda_as_noop', 'randomise_bn'
]
