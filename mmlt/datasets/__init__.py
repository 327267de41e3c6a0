# Copyright (c) mmlt contributors. All rights reserved.
from .cifar_lt import CIFAR10LT, CIFAR100LT
from .cub_meta import CUBMeta
from .inaturalist import INaturalist
from .lt_benchmarks import INat2018, ImageNetLT, PlacesLT, TinyImageNetLT
from .lt_list_dataset import LTListDataset
from .lt_profile import long_tailed_counts, select_long_tailed
from .nabirds import NABirds
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CIFAR10LT', 'CIFAR100LT', 'LTListDataset', 'ImageNetLT', 'PlacesLT',
    'INat2018', 'TinyImageNetLT', 'long_tailed_counts', 'select_long_tailed',
    'CUBMeta', 'INaturalist', 'NABirds'
]
