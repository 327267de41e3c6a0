# Copyright (c) mmlt contributors. All rights reserved.
"""Optimal-transport pseudo-label solvers (P²OT, SP²OT), device-agnostic."""
from .anderson import AndersonAcceleration
from .knn_graph import KNNGraph
from .partial_ot import (PartialOTResult, check_partial_ot_args,
                         partial_ot_objective, partial_ot_pseudo_labels,
                         solve_partial_ot)
from .semantic_partial_ot import (SemanticPartialOTResult, lam1_schedule,
                                  semantic_partial_ot_objective,
                                  semantic_partial_ot_pseudo_labels)

__all__ = [
    'AndersonAcceleration', 'KNNGraph', 'PartialOTResult',
    'check_partial_ot_args', 'partial_ot_objective',
    'partial_ot_pseudo_labels', 'solve_partial_ot', 'SemanticPartialOTResult',
    'lam1_schedule', 'semantic_partial_ot_objective',
    'semantic_partial_ot_pseudo_labels'
]
