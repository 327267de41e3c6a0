# Copyright (c) mmlt contributors. All rights reserved.
"""Safe loading of checkpoints written by other code bases."""
import pickle
from typing import Dict, List, Tuple

import torch

__all__ = ['load_foreign_checkpoint', 'strip_prefixes']


def _inert_class(qualname: str) -> type:
    """A class that only records what it is given: stands in for a foreign
    pickled object (a config parser, an argparse namespace, ...)."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state):
        self.state = state

    def __repr__(self):
        return f'<inert {qualname}>'

    return type(
        qualname.rsplit('.', 1)[-1], (), {
            '__init__': __init__,
            '__setstate__': __setstate__,
            '__repr__': __repr__
        })


def load_foreign_checkpoint(path: str) -> Tuple[Dict, List[str]]:
    """Load a checkpoint of another code base with safe loading kept on.

    Official checkpoints often pickle more than tensors (the trainer's
    config object, an ``argparse.Namespace``, numpy scalars), which
    ``torch.load(weights_only=True)`` refuses. Rather than unpickling them
    (which can run arbitrary code), every such global is replaced by an inert
    stand-in class that only stores its arguments; tensors load as usual.

    Args:
        path (str): The checkpoint file.

    Returns:
        tuple: the loaded object and the names of the globals that were
        replaced by stand-ins.
    """
    try:
        return torch.load(path, map_location='cpu', weights_only=True), []
    except pickle.UnpicklingError:
        pass
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    stand_ins = [(_inert_class(name), name) for name in unsafe]
    with torch.serialization.safe_globals(stand_ins):
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    return ckpt, list(unsafe)


def strip_prefixes(state: Dict, prefixes=('module.', )) -> Dict:
    """Remove any of ``prefixes`` (repeatedly, in order) from every key."""
    out = {}
    for key, value in state.items():
        changed = True
        while changed:
            changed = False
            for prefix in prefixes:
                if key.startswith(prefix):
                    key, changed = key[len(prefix):], True
        out[key] = value
    return out
