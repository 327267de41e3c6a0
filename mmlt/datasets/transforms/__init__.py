# Copyright (c) mmlt contributors. All rights reserved.
__all__ = []
