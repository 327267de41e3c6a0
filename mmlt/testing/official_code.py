# Copyright (c) mmlt contributors. All rights reserved.
"""Helpers to run official implementations side by side with mmlt's (the
equivalence checks in ``tools/model_converters/verify_equivalence.py`` and
the speed comparisons in ``benchmarks/``). The official code is imported
from a checkout given by path at run time; nothing of it is in mmlt."""
import contextlib
import copy
import importlib.util
import os.path as osp
import sys
import types
import warnings
from types import ModuleType
from typing import Dict, Optional

import torch
import torch.nn as nn

__all__ = [
    'load_official', 'load_official_shike', 'load_official_deit_lt',
    'cuda_as_noop', 'randomise_bn'
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


def _xformers_stub() -> Dict[str, ModuleType]:
    """``xformers.ops`` as DeiT-LT's ``vision_transformer.py`` uses it
    (``memory_efficient_attention`` on ``(B, N, heads, head_dim)`` tensors,
    ``unbind``), written out in plain torch: xformers' kernels are CUDA-only
    and compute ``dropout(softmax(q k^T / sqrt(d) + bias), p) v``."""

    def memory_efficient_attention(q, k, v, attn_bias=None, p=0.0, scale=None):
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, N, d)
        scale = q.size(-1)**-0.5 if scale is None else scale
        attn = (q * scale) @ k.transpose(-2, -1)
        if attn_bias is not None:
            if not torch.is_tensor(attn_bias):
                raise TypeError('the xformers stand-in takes a tensor '
                                f'attn_bias, got {type(attn_bias).__name__}')
            attn = attn + attn_bias
        attn = torch.nn.functional.dropout(attn.softmax(dim=-1), p)
        return (attn @ v).transpose(1, 2)

    xformers = types.ModuleType('xformers')
    ops = types.ModuleType('xformers.ops')
    ops.memory_efficient_attention = memory_efficient_attention
    ops.unbind = torch.unbind
    ops.fmha = types.ModuleType('xformers.ops.fmha')
    xformers.ops = ops
    return {'xformers': xformers, 'xformers.ops': ops}


@contextlib.contextmanager
def _timm_compat():
    """Let code written for timm 0.8 import under timm >= 0.9: the old
    location of ``generate_default_cfgs``; timm's model registry is restored
    afterwards (the official files register models under timm's own
    names)."""
    import timm.models._pretrained as pretrained
    import timm.models._registry as registry
    saved = {
        name: copy.copy(value)
        for name, value in vars(registry).items()
        if isinstance(value, (dict, set)) and not name.startswith('__')
    }
    added = not hasattr(pretrained, 'generate_default_cfgs')
    if added:
        pretrained.generate_default_cfgs = registry.generate_default_cfgs
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # deprecations, registry clashes
            yield
    finally:
        if added:
            del pretrained.generate_default_cfgs
        for name, value in saved.items():
            current = getattr(registry, name)
            current.clear()
            current.update(value)


def load_official_deit_lt(repo: str) -> types.SimpleNamespace:
    """DeiT-LT's (val-iisc/DeiT-LT) ``deit_models`` package (the distilled
    ViT students), ``losses.py`` (``DistillationLoss``) and
    ``arguments.py`` (the command line of ``main.py``).

    The package imports ``xformers.ops`` (CUDA-only), stood in for by plain
    torch attention (:func:`_xformers_stub`), and timm 0.8 module paths,
    shimmed while it is imported; nothing in the checkout is changed.
    """
    init = osp.join(repo, 'deit_models', '__init__.py')
    if not osp.isfile(init):
        raise FileNotFoundError(f'{init} not found: is {repo} a checkout of '
                                'val-iisc/DeiT-LT?')
    name = 'official_deit_lt_models'
    stubs = _xformers_stub()
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        with _timm_compat():
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[osp.dirname(init)])
            models = importlib.util.module_from_spec(spec)
            sys.modules[name] = models
            spec.loader.exec_module(models)
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
    return types.SimpleNamespace(
        models=models,
        losses=load_official(repo, 'losses.py', 'official_deit_lt_losses'),
        arguments=load_official(repo, 'arguments.py',
                                'official_deit_lt_arguments'))
