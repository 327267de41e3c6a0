# Copyright (c) mmlt contributors. All rights reserved.
from .expert_usage import ExpertUsage
from .meta_masked_shot_accuracy import MetaMaskedShotAccuracy
from .shot_accuracy import (ShotAccuracy, expected_calibration_error,
                            shot_groups)

__all__ = [
    'ShotAccuracy', 'shot_groups', 'expected_calibration_error', 'ExpertUsage',
    'MetaMaskedShotAccuracy'
]
