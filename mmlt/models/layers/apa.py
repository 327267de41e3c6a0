# Copyright (c) mmlt contributors. All rights reserved.
"""APA and AGLU activation layers (Alexandridis et al., *Adaptive Parametric
Activation*, ECCV 2024).

Both are registered in mmengine's root ``MODELS`` (like mmcv's activations),
so ``act_cfg=dict(type='AGLU')`` builds through
:func:`mmcv.cnn.build_activation_layer` inside mmcv, mmpretrain and mmdet
modules under any ``default_scope``.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from mmlt.registry import MMENGINE_MODELS
from .apa_functional import _IMPLS, _apply

Init = Union[float, Sequence[float]]

#: Initial ranges of (lambda, kappa) in the official code, per role
#: (uniform draws; see the spec, section 1.2). ``AGLU`` defaults to
#: ``'aglu_cls'`` and ``APA`` to ``'apa_readme'``.
APA_INIT_RANGES = {
    'aglu_cls': ((0., 1.), (0.8, 1.2)),  # classification ResNets (UniRect)
    'aglu_det': ((0., 1.), (1.0, 1.3)),  # mmdet SE-ResNet (UniRect)
    'aglu_swin': ((0.1, 1.), (0., 1.)),  # mmdet Swin FFN (UniRect)
    'apa_se': ((0., 1.), (-1., 0.)),  # APA gate in SE (Unified)
    'apa_cbam': ((0., 1.), (0., 1.)),  # APA gates in CBAM (Unified)
    'apa_readme': ((0., 1.), (0., 1.)),  # top-level README snippet
}


def _init_range(name: str, value: Init) -> Tuple[float, float]:
    if isinstance(value, (int, float)):
        low = high = float(value)
    else:
        value = tuple(float(v) for v in value)
        if len(value) != 2:
            raise ValueError(f'{name} must be a number or a (low, high) '
                             f'pair, got {value!r}.')
        low, high = value
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValueError(f'{name} must be finite with low <= high, got '
                         f'{value!r}.')
    return low, high


class _AdaptiveParametricActivation(nn.Module):
    """Shared parameters and checks of :class:`APA` and :class:`AGLU`."""
    gate_only = True
    default_init = APA_INIT_RANGES['apa_readme']

    def __init__(self,
                 num_parameters: int = 1,
                 lambda_init: Optional[Init] = None,
                 kappa_init: Optional[Init] = None,
                 lambda_min: float = 1e-4,
                 channel_dim: Optional[int] = None,
                 impl: str = 'fused',
                 inplace: bool = False):
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(f'{name}: num_parameters must be a positive '
                             f'int, got {num_parameters!r}.')
        if not lambda_min > 0:
            raise ValueError(f'{name}: lambda_min must be > 0, got '
                             f'{lambda_min}.')
        if impl not in _IMPLS:
            raise ValueError(f'{name}: impl must be one of {_IMPLS}, got '
                             f'{impl!r}.')
        self.num_parameters = num_parameters
        self.lambda_init = _init_range(
            'lambda_init',
            self.default_init[0] if lambda_init is None else lambda_init)
        self.kappa_init = _init_range(
            'kappa_init',
            self.default_init[1] if kappa_init is None else kappa_init)
        if self.lambda_init[1] <= 0:
            raise ValueError(f'{name}: lambda_init must reach above 0, got '
                             f'{self.lambda_init}.')
        self.lambda_min = float(lambda_min)
        self.channel_dim = channel_dim
        self.impl = impl
        # ``inplace`` is accepted for mmcv's ConvModule, which passes it to
        # every activation; the layer always returns a new tensor.
        self.lambda_param = nn.Parameter(torch.empty(num_parameters))
        self.kappa_param = nn.Parameter(torch.empty(num_parameters))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw lambda and kappa uniformly from their init ranges."""
        with torch.no_grad():
            self.lambda_param.uniform_(*self.lambda_init)
            self.kappa_param.uniform_(*self.kappa_init)

    def _forward(self, x: torch.Tensor, legacy: bool) -> torch.Tensor:
        return _apply(x, self.kappa_param, self.lambda_param, self.gate_only,
                      self.lambda_min, self.channel_dim, legacy, self.impl)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(x, False)

    def extra_repr(self) -> str:
        return (f'num_parameters={self.num_parameters}, '
                f'lambda_min={self.lambda_min}, impl={self.impl!r}')


@MMENGINE_MODELS.register_module()
class APA(_AdaptiveParametricActivation):
    """Adaptive Parametric Activation, the gate
    ``eta(z) = (1 + lambda e^(-kappa z))^(-1/lambda)`` with learned
    ``lambda > 0`` and ``kappa``: sigmoid at ``lambda = kappa = 1``, the
    Gumbel CDF ``exp(-e^(-kappa z))`` as ``lambda -> 0``, a step as
    ``kappa -> inf``. Used in place of the sigmoid of SE / CBAM gates.

    Computed in the stable form
    ``exp(-softplus(ln(lambda) - kappa z) / lambda)``
    (see :mod:`mmlt.models.layers.apa_functional`) in float32 (float64 for
    float64 inputs) and returned in the input dtype, so half / bfloat16
    inputs under AMP never overflow. Output in [0, 1] for any finite input.

    Args:
        num_parameters (int): 1 for one (lambda, kappa) per layer
            ("layer-wise", the official default) or C for one per channel.
            Parameters are stored with shape ``(num_parameters,)``.
        lambda_init (float | tuple): Constant or uniform ``(low, high)``
            initial lambda. Defaults to ``(0, 1)``.
        kappa_init (float | tuple): Same for kappa. Defaults to ``(0, 1)``
            (the README init; the SE gate of the paper uses ``(-1, 0)``, see
            :data:`APA_INIT_RANGES`).
        lambda_min (float): lambda is clamped to ``>= lambda_min`` in the
            forward (zero gradient below). Defaults to 1e-4.
        channel_dim (int, optional): Channel dim for ``num_parameters=C``;
            by default dim 1 for inputs with >= 4 dims (N, C, H, W) and the
            last dim for 1-3 dims ((N, C), transformer tokens (N, L, C)).
        impl (str): ``'fused'`` (analytic backward, compiled lazily on CPU)
            or ``'autograd'`` (reference). Defaults to ``'fused'``.
        inplace (bool): Ignored (accepted for mmcv ``ConvModule``).

    Parameter names contain ``lambda_param`` / ``kappa_param``: configs give
    them zero weight decay through ``paramwise_cfg.custom_keys``.
    """


@MMENGINE_MODELS.register_module()
class AGLU(_AdaptiveParametricActivation):
    """Adaptive Generalised Linear Unit ``z * APA(z)``: SiLU at
    ``lambda = kappa = 1``, ``z * exp(-e^(-kappa z))`` as ``lambda -> 0``,
    ReLU as ``kappa -> inf``. Replaces ReLU / GELU / SiLU.

    Args:
        legacy_lambda_grad (bool): Reproduce the official code: its custom
            backward's lambda-gradient
            ``-(z / lambda) * eta / (lambda + e^(kappa z))``, which drops the
            ``ln(1 + lambda e^(-kappa z)) / lambda^2`` term and so has the
            opposite sign to the true gradient for every input (the true
            one has the sign of ``z``), and its floor
            ``relu(lambda) + 1e-8`` in place of ``lambda_min`` (under that
            gradient lambda does go negative). Only to reproduce the
            published classification models; needs ``impl='fused'``.
            Defaults to False (the correct gradient and ``lambda_min``).
        kappa_init (float | tuple): Defaults to ``(0.8, 1.2)`` (the
            classification ResNets; the LVIS detector uses ``(1.0, 1.3)``).
        **kwargs: The other arguments of :class:`APA`.
    """
    gate_only = False
    default_init = APA_INIT_RANGES['aglu_cls']

    def __init__(self, *args, legacy_lambda_grad: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if legacy_lambda_grad and self.impl != 'fused':
            raise ValueError("AGLU: legacy_lambda_grad=True needs "
                             f"impl='fused', got impl={self.impl!r}.")
        self.legacy_lambda_grad = bool(legacy_lambda_grad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(x, self.legacy_lambda_grad)

    def extra_repr(self) -> str:
        return (super().extra_repr() +
                f', legacy_lambda_grad={self.legacy_lambda_grad}')
