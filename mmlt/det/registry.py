# Copyright (c) mmlt contributors. All rights reserved.
"""Registries used by :mod:`mmlt.det`: mmdet's own.

Detection components register straight into mmdet's registries, so a stock
mmdet config (``default_scope = 'mmdet'``) finds them by their bare names
once ``mmlt.det`` is imported (``custom_imports=dict(imports=['mmlt.det'])``).
"""
from mmdet.registry import DATASETS, METRICS, MODELS, TRANSFORMS

__all__ = ['DATASETS', 'METRICS', 'MODELS', 'TRANSFORMS']
