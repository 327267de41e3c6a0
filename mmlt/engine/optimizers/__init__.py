# Copyright (c) mmlt contributors. All rights reserved.
from .sam_optim_wrapper import (AmpSAMOptimWrapper, SAMOptimWrapper,
                                in_sam_perturbed_pass)

__all__ = ['SAMOptimWrapper', 'AmpSAMOptimWrapper', 'in_sam_perturbed_pass']
