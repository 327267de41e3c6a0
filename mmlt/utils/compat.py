# Copyright (c) mmlt contributors. All rights reserved.
"""Compatibility of mmengine 0.10.7 with torch >= 2.6, handled in one place.

torch >= 2.6 loads checkpoints with ``weights_only=True``, which refuses the
few non-tensor objects an mmengine checkpoint pickles (the message hub's
``HistoryBuffer``, numpy arrays and scalars in ``meta``), so ``load_from`` and
``resume`` fail. Rather than turning safe loading off, we allow-list exactly
those types with ``torch.serialization.add_safe_globals``. A checkpoint that
pickles anything else is still refused, with an error naming the file and
the offending globals.
"""
import codecs
import os.path as osp
import pickle

import numpy as np
import torch

__all__ = ['MMENGINE_CHECKPOINT_GLOBALS', 'register_checkpoint_safe_globals']


def _numpy_globals():
    from numpy._core import multiarray
    items = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    # numpy >= 1.25 pickles dtypes through their per-type classes
    items += [
        type(np.dtype(t))
        for t in (np.float16, np.float32, np.float64, np.int8, np.int16,
                  np.int32, np.int64, np.uint8, np.bool_)
    ]
    return items


def _history_buffer_getattr(obj, name):
    """``getattr`` limited to the methods of ``HistoryBuffer``.

    mmengine's message hub pickles ``HistoryBuffer._statistics_methods``
    (``min``, ``max``, ``current``, ``mean``) as ``getattr(HistoryBuffer,
    'min')``. Allowing the real ``builtins.getattr`` would open attribute
    access on any allow-listed object, so checkpoints get this narrow one.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only HistoryBuffer statistics methods are allowed.')


def _mmengine_globals():
    from mmengine.logging.history_buffer import HistoryBuffer
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')]


MMENGINE_CHECKPOINT_GLOBALS = None


def register_checkpoint_safe_globals() -> list:
    """Allow-list the types mmengine checkpoints contain (idempotent) and make
    mmengine's local loader explain refusals. Returns the allow-list."""
    global MMENGINE_CHECKPOINT_GLOBALS
    if MMENGINE_CHECKPOINT_GLOBALS is not None:
        return MMENGINE_CHECKPOINT_GLOBALS
    allowed = _numpy_globals() + _mmengine_globals() + [codecs.encode]
    torch.serialization.add_safe_globals(allowed)
    MMENGINE_CHECKPOINT_GLOBALS = allowed

    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_local_checkpoint, force=True)
    return allowed


def _load_local_checkpoint(filename, map_location=None):
    """mmengine's local loader with safe loading kept on and a clear error."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
        except Exception:  # noqa: BLE001 - best effort for the message
            unsafe = []
        raise RuntimeError(
            f'Refusing to load checkpoint {filename}: it pickles objects '
            f'outside the allow-list of mmengine checkpoint types '
            f'({", ".join(unsafe) or "see below"}). Loading it could run '
            'arbitrary code. If you trust the file, convert it to a plain '
            'state_dict first.\n' + str(e)) from e
