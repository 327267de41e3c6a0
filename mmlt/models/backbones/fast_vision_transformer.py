# Copyright (c) mmlt contributors. All rights reserved.
import torch.nn as nn
from mmcv.cnn.bricks.drop import DropPath
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import MultiheadAttention

from mmlt.registry import MODELS
from ..layers import FastDropPath, FastMultiheadAttention


def use_fast_vit_layers(module: nn.Module) -> int:
    """Re-classes mmpretrain's ViT building blocks in place.

    Every sub-module of ``module`` whose type is exactly mmpretrain's
    :class:`MultiheadAttention` becomes a :class:`FastMultiheadAttention`
    and every one that is exactly mmcv's :class:`DropPath` a
    :class:`FastDropPath` (subclasses with forwards of their own are left
    alone). Only ``forward`` changes: the parameters, buffers and
    state-dict keys are kept, so checkpoints of the host model load as
    they are.

    Args:
        module (nn.Module): The model, e.g. a built ``VisionTransformer``.

    Returns:
        int: The number of re-classed modules.
    """
    fast = {MultiheadAttention: FastMultiheadAttention, DropPath: FastDropPath}
    count = 0
    for m in module.modules():
        if type(m) in fast:
            m.__class__ = fast[type(m)]
            count += 1
    return count


@MODELS.register_module()
class FastVisionTransformer(VisionTransformer):
    """mmpretrain's :class:`VisionTransformer` with the faster blocks.

    The host model with its encoder layers' attention and drop paths
    re-classed by :func:`use_fast_vit_layers` after the host's
    ``__init__``: :class:`FastMultiheadAttention` (``qkv.unbind(0)``) and
    :class:`FastDropPath` (the per-sample mask is rescaled, not the
    activations), as timm's ViT does. Same parameters, state-dict keys and
    outputs (up to float rounding) as the host; drop-path masks are drawn
    as the host draws them. DeiT-LT's plain-ViT baseline
    (``configs/deit_lt/ce_vit-t6-p4_*``) uses it.

    Args:
        *args: See :class:`mmpretrain.models.VisionTransformer`.
        **kwargs: See :class:`mmpretrain.models.VisionTransformer`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_fast_vit_layers(self.layers)
