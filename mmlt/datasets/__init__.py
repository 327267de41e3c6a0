# Copyright (c) mmlt contributors. All rights reserved.
from .cifar_lt import CIFAR10LT, CIFAR100LT
from .cub_meta import CUBMeta
from .imagenet_r_lt import ImageNetRLT
from .inat2018_subset import INat2018Subset, inat_subset_classes
from .inaturalist import INaturalist
from .lt_benchmarks import ImageNetLT, INat2018, PlacesLT, TinyImageNetLT
from .lt_list_dataset import LTListDataset
from .lt_profile import (check_imb_factor, long_tailed_counts,
                         select_long_tailed)
from .nabirds import NABirds
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CIFAR10LT', 'CIFAR100LT', 'LTListDataset', 'ImageNetLT', 'PlacesLT',
    'INat2018', 'TinyImageNetLT', 'check_imb_factor', 'long_tailed_counts',
    'select_long_tailed', 'CUBMeta', 'INaturalist', 'NABirds', 'ImageNetRLT',
    'INat2018Subset', 'inat_subset_classes'
]
