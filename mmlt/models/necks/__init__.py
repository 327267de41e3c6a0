# Copyright (c) mmlt contributors. All rights reserved.
from .paco_projector import PaCoProjector

__all__ = ['PaCoProjector']
