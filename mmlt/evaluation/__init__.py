# Copyright (c) mmlt contributors. All rights reserved.
from .metrics import *  # noqa: F401,F403
from .per_class_plot import plot_per_class_accuracy

__all__ = ['plot_per_class_accuracy']
