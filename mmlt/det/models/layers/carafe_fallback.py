# Copyright (c) mmlt contributors. All rights reserved.
import warnings

import torch.nn.functional as F
from mmcv.ops import CARAFEPack
from torch import Tensor

from mmlt.det.registry import MODELS

__all__ = ['carafe_reassemble', 'CARAFEPackWithFallback']


def carafe_reassemble(features: Tensor, masks: Tensor, kernel_size: int,
                      group_size: int, scale_factor: int) -> Tensor:
    """Content-aware reassembly of features (the CARAFE operator) in PyTorch.

    "CARAFE: Content-Aware ReAssembly of FEatures" (Wang et al., ICCV 2019).
    Output location ``(i, j)`` of an ``s``-times larger map is a weighted sum
    of the ``k x k`` neighbourhood of its source location
    ``(i // s, j // s)`` in the input (zero padded), with weights predicted
    for that output location and shared by the channels of a group::

        out[n, c, i, j] = sum_{a, b} masks[n, g(c) * k * k + a * k + b, i, j]
                          * features[n, c, i // s + a - r, j // s + b - r]

    where ``r = (k - 1) // 2`` and ``g(c) = c // (C / group_size)``. This is
    the math of mmcv's ``carafe`` op, which has no CPU kernel in mmcv 2.1.
    It loops over the ``k * k`` offsets, accumulating in place, so memory stays
    ``O(output)``.

    Args:
        features (Tensor): Input, shape ``(N, C, H, W)``.
        masks (Tensor): Reassembly kernels (normalised by the caller),
            shape ``(N, group_size * k * k, s * H, s * W)``.
        kernel_size (int): ``k`` (odd).
        group_size (int): Number of channel groups sharing a kernel.
        scale_factor (int): Upsampling ratio ``s``.

    Returns:
        Tensor: Shape ``(N, C, s * H, s * W)``.
    """
    n, c, h, w = features.shape
    k, g, s = kernel_size, group_size, scale_factor
    if k % 2 != 1:
        raise ValueError(f'kernel_size must be odd, got {k}.')
    if c % g != 0:
        raise ValueError(f'channels ({c}) must be divisible by group_size '
                         f'({g}).')
    if masks.shape != (n, g * k * k, s * h, s * w):
        expected = (n, g * k * k, s * h, s * w)
        raise ValueError(f'masks must have shape {expected}, got '
                         f'{tuple(masks.shape)}.')
    r = (k - 1) // 2
    padded = F.pad(features, (r, r, r, r))
    masks = masks.reshape(n, g, 1, k * k, h, s, w, s)
    out = features.new_zeros(n, g, c // g, h, s, w, s)
    for a in range(k):
        for b in range(k):
            patch = padded[:, :, a:a + h,
                           b:b + w].reshape(n, g, c // g, h, 1, w, 1)
            out.addcmul_(patch, masks[:, :, :, a * k + b])
    return out.view(n, c, h * s, w * s)


def _mmcv_op_may_run(x: Tensor) -> bool:
    """mmcv 2.1 builds ``carafe`` kernels for CUDA (and MLU/NPU), never CPU."""
    return x.device.type != 'cpu'


@MODELS.register_module()
class CARAFEPackWithFallback(CARAFEPack):
    """mmcv's ``CARAFEPack`` upsampler that also runs where the mmcv op does
    not: on CPU (mmcv 2.1 has no CPU kernel for ``carafe``), or on a device
    for which this mmcv build has no kernel, the reassembly uses
    :func:`carafe_reassemble`, the same math in PyTorch (a warning is given
    once in the second case). Elsewhere (CUDA) the mmcv op is used.
    Parameters and initialisation are those of ``CARAFEPack`` (channel
    compressor, content encoder, softmax-normalised ``up_kernel x up_kernel``
    kernels), so checkpoints are interchangeable.

    Args:
        *args, **kwargs: Arguments of ``mmcv.ops.CARAFEPack``
            (``channels, scale_factor, up_kernel=5, up_group=1,
            encoder_kernel=3, encoder_dilation=1, compressed_channels=64``).
        force_fallback (bool): Always use the PyTorch path. Defaults to
            False.
    """

    def __init__(self, *args, force_fallback: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.force_fallback = force_fallback
        self._op_missing_on = set()

    def feature_reassemble(self, x: Tensor, mask: Tensor) -> Tensor:
        device = x.device.type
        if (not self.force_fallback and _mmcv_op_may_run(x)
                and device not in self._op_missing_on):
            try:
                return super().feature_reassemble(x, mask)
            except RuntimeError as err:
                if 'implementation for device' not in str(err):
                    raise
                self._op_missing_on.add(device)
                warnings.warn(
                    f'mmcv has no carafe kernel for {device} tensors '
                    f'({err}); using the PyTorch CARAFE instead.')
        return carafe_reassemble(x, mask, self.up_kernel, self.up_group,
                                 self.scale_factor)
