# Copyright (c) mmlt contributors. All rights reserved.
"""Helpers to run official implementations side by side with mmlt's (the
equivalence checks in ``tools/model_converters/verify_equivalence.py`` and
the speed comparisons in ``benchmarks/``). The official code is imported
from a checkout given by path at run time; nothing of it is in mmlt."""
import contextlib
import importlib.util
import os.path as osp
import sys
import types
from types import ModuleType
from typing import Dict, Optional

import torch
import torch.nn as nn

__all__ = [
    'load_official', 'load_official_shike', 'cuda_as_noop', 'randomise_bn'
]


def load_official(repo: str,
                  rel: str,
                  name: str,
                  stubs: Optional[Dict[str, ModuleType]] = None) -> ModuleType:
    """Import one file of an official checkout by path.

    Args:
        repo (str): The checkout.
        rel (str): The file, relative to ``repo``.
        name (str): A module name to give it (must not clash with others).
        stubs (dict, optional): Fake modules for imports the file makes but
            the check does not need (e.g. ``{'utils': module}``), present
            only while the file is imported.
    """
    path = osp.join(repo, rel)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: is {repo} a checkout of '
                                'the official code?')
    saved = {k: sys.modules.get(k) for k in (stubs or {})}
    sys.modules.update(stubs or {})
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
    return module


@contextlib.contextmanager
def cuda_as_noop():
    """Official losses call ``.cuda()`` in ``__init__``: make it a no-op on
    CPU-only machines."""
    cuda = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    try:
        yield
    finally:
        torch.Tensor.cuda = cuda


def randomise_bn(model: nn.Module, seed: int = 1) -> None:
    """Non-trivial BatchNorm statistics and affine parameters, so that
    equivalence checks in eval mode bite."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(n, generator=gen) - 0.5)


def load_official_shike(repo: str):
    """SHIKE's ``networks.py`` and ``cifarTrain.py`` (for ``mix_outputs``,
    its loss) as modules. The training script parses its command line and
    imports GUI, sklearn and dataset modules at import time: those imports
    are stubbed and the command line is empty while it is imported."""
    stubs = {
        name: types.ModuleType(name)
        for name in ('tkinter', 'turtle', 'sklearn', 'autoaugment', 'datasets',
                     'datasets.imbalanced_cifar')
    }
    stubs['tkinter'].N = None
    stubs['turtle'].color = stubs['turtle'].forward = None
    stubs['sklearn'].manifold = None
    stubs['autoaugment'].CIFAR10Policy = stubs['autoaugment'].Cutout = \
        lambda *args, **kwargs: None
    nets = load_official(repo, 'networks.py', 'networks', stubs=stubs)
    utils = load_official(repo, 'utils.py', 'utils', stubs=stubs)
    argv, sys.argv = sys.argv, [sys.argv[0]]
    try:
        train = load_official(
            repo,
            'cifarTrain.py',
            'official_shike_train',
            stubs=dict(stubs, networks=nets, utils=utils))
    finally:
        sys.argv = argv
    return nets, train
