# Copyright (c) mmlt contributors. All rights reserved.
from .clustering_metric import (ClusteringMetric, adjusted_rand_index,
                                head_medium_tail, hungarian_match,
                                normalized_mutual_info)
from .expert_usage import ExpertUsage
from .meta_masked_shot_accuracy import MetaMaskedShotAccuracy
from .shot_accuracy import (ShotAccuracy, expected_calibration_error,
                            shot_groups)

__all__ = [
    'ShotAccuracy', 'shot_groups', 'expected_calibration_error', 'ExpertUsage',
    'MetaMaskedShotAccuracy', 'ClusteringMetric', 'hungarian_match',
    'normalized_mutual_info', 'adjusted_rand_index', 'head_medium_tail'
]
