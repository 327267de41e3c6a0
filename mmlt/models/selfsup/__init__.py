# Copyright (c) mmlt contributors. All rights reserved.
from .p2ot_clustering import P2OTClustering

__all__ = ['P2OTClustering']
