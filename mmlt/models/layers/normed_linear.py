# Copyright (c) mmlt contributors. All rights reserved.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads.margin_head import NormProduct

#: Initialisations of the class vectors, per official method.
NORMED_LINEAR_INITS = ('unit', 'linear')


class NormedLinear(NormProduct):
    """Cosine classifier layer: ``s * <f(x), w_c / |w_c|>``.

    The classifier shared by every mmlt head that needs one (LDAM-DRW, RIDE,
    MDCS and SHIKE with ``s = 30``; APA's with squashed features). It is
    mmpretrain's :class:`NormProduct` (a bias-free ``nn.Linear`` with
    normalised weights, ``weight`` of shape ``(out_features, in_features)``)
    with a logit scale and two feature normalisations:

    - ``feature_norm='l2'``: ``f(x) = x / |x|`` (cosine similarity);
    - ``feature_norm='squash'``: ``f(x) = x / (1 + |x|)``, i.e. the unit
      vector times ``|x| / (1 + |x|)`` (APA's cosine classifier).

    The scale is fixed or learned (``learnable_scale=True``: the scale is
    ``p^2`` with ``p`` initialised to ``sqrt(scale)``).

    Initialisation of the class vectors (``init``):

    - ``'unit'``: uniform(-1, 1), then every class vector rescaled to unit
      norm: the ``NormedLinear`` of LDAM-DRW, RIDE, MDCS and SHIKE;
    - ``'linear'``: ``nn.Linear``'s default, uniform(+-1/sqrt(in_features))
      (class-vector norm about ``1/sqrt(3)``): APA's cosine classifier.

    The scale of the class vectors matters although the forward pass
    normalises them: an SGD step rotates a vector by about ``lr * |grad| /
    |w|``, so larger initial norms mean smaller angular steps.

    Args:
        in_features (int): Feature size.
        out_features (int): Number of classes.
        scale (float): Logit scale ``s``. Defaults to 30.
        feature_norm (str): ``'l2'`` or ``'squash'``. Defaults to ``'l2'``.
        learnable_scale (bool): Learn the scale. Defaults to False.
        init (str): ``'unit'`` or ``'linear'``. Defaults to ``'unit'``.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 scale: float = 30.,
                 feature_norm: str = 'l2',
                 learnable_scale: bool = False,
                 init: str = 'unit'):
        if feature_norm not in ('l2', 'squash'):
            raise ValueError("feature_norm must be 'l2' or 'squash', got "
                             f'{feature_norm!r}.')
        if init not in NORMED_LINEAR_INITS:
            raise ValueError(f'init must be one of {NORMED_LINEAR_INITS}, '
                             f'got {init!r}.')
        if not scale > 0:
            raise ValueError(f'scale must be positive, got {scale}.')
        self.init = init
        super().__init__(in_features, out_features, bias=False)
        self.feature_norm_mode = feature_norm
        if learnable_scale:
            self.scale_param = nn.Parameter(torch.tensor(math.sqrt(scale)))
        else:
            self.scale_param = None
            self.scale = float(scale)

    def reset_parameters(self) -> None:
        """Draw the class vectors as ``init`` says (``nn.Linear`` calls this
        at construction)."""
        if getattr(self, 'init', 'linear') == 'linear':
            super().reset_parameters()
            return
        with torch.no_grad():
            self.weight.uniform_(-1, 1)
            self.weight.div_(self.weight.norm(dim=1, keepdim=True))

    def logit_scale(self) -> torch.Tensor:
        """The current scale ``s`` (a tensor when learned)."""
        return self.scale_param**2 if self.scale_param is not None \
            else self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.feature_norm_mode == 'l2':
            x = F.normalize(x, dim=-1)
        else:
            x = x / (1 + x.norm(dim=-1, keepdim=True))
        return self.logit_scale() * F.linear(x, F.normalize(
            self.weight, dim=1))

    def extra_repr(self) -> str:
        scale = 'learnable' if self.scale_param is not None else self.scale
        return (f'in_features={self.in_features}, '
                f'out_features={self.out_features}, scale={scale}, '
                f'feature_norm={self.feature_norm_mode!r}, '
                f'init={self.init!r}')
