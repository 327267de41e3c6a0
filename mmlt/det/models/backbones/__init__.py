# Copyright (c) mmlt contributors. All rights reserved.
from .se_resnet_aglu_det import SEResNetAGLUDet

__all__ = ['SEResNetAGLUDet']
