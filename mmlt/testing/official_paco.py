# Copyright (c) mmlt contributors. All rights reserved.
"""The official PaCo / GPaCo code (a checkout of
dvlab-research/Parametric-Contrastive-Learning given by path) on a CPU, for
``tools/model_converters/verify_equivalence.py`` and
``benchmarks/paco_throughput.py``; nothing of it is copied into mmlt.

The official ``MoCo`` wrapper gathers keys with ``torch.distributed`` (it
refuses to run without DDP) and its loss moves the class prior to
``'cuda'``; :func:`official_paco_session` provides a one-process gloo group
and turns those CUDA moves into no-ops.
"""
import contextlib
import socket
import types

import torch
import torch.distributed as dist

from .official_code import cuda_as_noop, load_official

__all__ = [
    'load_official_paco', 'official_paco_session', 'official_paco_model',
    'float32_as_float64'
]


def load_official_paco(repo: str, variant: str = 'PaCo'):
    """``builder`` (``moco/builder.py``), ``losses`` and ``resnet_cifar`` of
    ``{variant}/LT`` (``variant``: ``'PaCo'`` or ``'GPaCo'``)."""
    if variant not in ('PaCo', 'GPaCo'):
        raise ValueError(f"variant must be 'PaCo' or 'GPaCo', got "
                         f'{variant!r}.')
    root, tag = f'{variant}/LT', variant.lower()
    return types.SimpleNamespace(
        builder=load_official(repo, f'{root}/moco/builder.py',
                              f'official_{tag}_builder'),
        losses=load_official(repo, f'{root}/losses.py',
                             f'official_{tag}_losses'),
        resnet_cifar=load_official(repo, f'{root}/models/resnet_cifar.py',
                                   f'official_{tag}_resnet_cifar'))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def official_paco_session():
    """A one-process gloo group (unless one exists) and CPU stand-ins for
    the official code's ``.cuda()`` / ``.to(torch.device('cuda'))``."""
    created = not dist.is_initialized()
    if created:
        dist.init_process_group(
            'gloo',
            init_method=f'tcp://127.0.0.1:{_free_port()}',
            rank=0,
            world_size=1)
    to = torch.Tensor.to

    def cuda(device) -> bool:
        return str(device).startswith('cuda') if isinstance(
            device, (str, torch.device)) else False

    def to_cpu(self, *args, **kwargs):
        args = tuple(a for a in args if not cuda(a))
        if cuda(kwargs.get('device')):
            kwargs.pop('device')
        return to(self, *args, **kwargs)

    torch.Tensor.to = to_cpu
    try:
        with cuda_as_noop():
            yield
    finally:
        torch.Tensor.to = to
        if created:
            dist.destroy_process_group()


@contextlib.contextmanager
def float32_as_float64():
    """``Tensor.float()`` and ``.to(torch.float32)`` give float64: the
    official loss builds its masks (and so the normaliser ``mask.sum(1)``)
    in float32 whatever the features' dtype; under this context a float64
    check runs it in float64 throughout."""
    to, float_ = torch.Tensor.to, torch.Tensor.float

    def to64(self, *args, **kwargs):
        args = tuple(torch.float64 if a is torch.float32 else a for a in args)
        if kwargs.get('dtype') is torch.float32:
            kwargs['dtype'] = torch.float64
        return to(self, *args, **kwargs)

    torch.Tensor.to = to64
    torch.Tensor.float = lambda self, *args, **kwargs: self.double()
    try:
        yield
    finally:
        torch.Tensor.to, torch.Tensor.float = to, float_


def official_paco_model(off,
                        variant: str,
                        num_classes: int,
                        dim: int,
                        queue_len: int,
                        feat_dim: int,
                        temperature: float,
                        alpha: float,
                        class_counts,
                        m: float = 0.999):
    """The official CIFAR ResNet-32 ``MoCo`` (``--mlp``) and ``PaCoLoss`` of
    ``off`` (:func:`load_official_paco`) with the class prior set; call
    inside :func:`official_paco_session`."""
    arch = off.resnet_cifar.resnet32
    if variant == 'PaCo':
        model = off.builder.MoCo(
            arch,
            dim=dim,
            K=queue_len,
            m=m,
            T=temperature,
            mlp=True,
            feat_dim=feat_dim,
            normalize=False,
            num_classes=num_classes)
        loss = off.losses.PaCoLoss(
            alpha=alpha,
            beta=1.0,
            gamma=1.0,
            temperature=temperature,
            K=queue_len,
            num_classes=num_classes)
    else:
        model = off.builder.MoCo(
            arch,
            dim=dim,
            K=queue_len,
            m=m,
            T=temperature,
            mlp=True,
            feat_dim=feat_dim,
            num_classes=num_classes)
        loss = off.losses.PaCoLoss(
            alpha=alpha,
            temperature=temperature,
            K=queue_len,
            num_classes=num_classes)
    loss.cal_weight_for_classes(list(class_counts))
    return model, loss
