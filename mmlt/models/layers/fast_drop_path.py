# Copyright (c) mmlt contributors. All rights reserved.
import torch
from mmcv.cnn.bricks.drop import DropPath

from mmlt.registry import MMENGINE_MODELS


@MMENGINE_MODELS.register_module()
class FastDropPath(DropPath):
    """mmcv's :class:`DropPath` that scales the per-sample mask, not ``x``.

    mmcv's ``drop_path`` returns ``x.div(keep_prob) * mask``: a full extra
    pass over the activations forward and backward. This subclass divides
    the ``(B, 1, ..., 1)`` mask by ``keep_prob`` and returns ``x * mask``
    (timm's ``drop_path``). The mask is drawn as mmcv draws it
    (``floor(keep_prob + torch.rand((B, 1, ..., 1)))`` in ``x``'s dtype), so
    the distribution is the same (each sample kept with probability
    ``keep_prob`` and scaled by ``1 / keep_prob``, expectation ``x``) and,
    from the same RNG state, the same samples are dropped; the kept ones
    differ from mmcv's by float rounding (``x * (1 / p)`` vs ``x / p``).
    Identity in eval mode and for ``drop_prob=0``. With ``drop_prob=1``
    the output is zero (mmcv's divides by zero: NaN).

    Registered in mmengine's root ``MODELS`` as mmcv's ``DropPath`` is
    (``dropout_layer=dict(type='FastDropPath', drop_prob=...)``); a built
    ``DropPath`` can also be re-classed in place
    (``module.__class__ = FastDropPath``).

    Args:
        drop_prob (float): Probability of the path to be zeroed.
            Defaults to 0.1.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Drops whole samples of ``x`` and rescales the kept ones.

        Args:
            x (torch.Tensor): Any shape with the batch first.

        Returns:
            torch.Tensor: Same shape as ``x``.
        """
        if self.drop_prob == 0. or not self.training:
            return x
        keep_prob = 1 - self.drop_prob
        shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
        mask = (keep_prob +
                torch.rand(shape, dtype=x.dtype, device=x.device)).floor_()
        if keep_prob > 0.:
            mask.div_(keep_prob)
        return x * mask
