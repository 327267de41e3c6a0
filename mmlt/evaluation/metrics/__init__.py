# Copyright (c) mmlt contributors. All rights reserved.
from .clustering_metric import (ClusteringMetric, adjusted_rand_index,
                                head_medium_tail, hungarian_match,
                                normalized_mutual_info)
from .expert_usage import ExpertUsage
from .meta_masked_shot_accuracy import MetaMaskedShotAccuracy
from .shot_accuracy import (SADE_TEST_DISTRIBUTIONS, ShotAccuracy,
                            distribution_class_prior,
                            expected_calibration_error, index_groups,
                            parse_test_distribution, shot_groups)

__all__ = [
    'ShotAccuracy', 'SADE_TEST_DISTRIBUTIONS', 'parse_test_distribution',
    'distribution_class_prior', 'shot_groups', 'expected_calibration_error',
    'ExpertUsage', 'MetaMaskedShotAccuracy', 'ClusteringMetric',
    'hungarian_match', 'normalized_mutual_info', 'adjusted_rand_index',
    'head_medium_tail', 'index_groups'
]
