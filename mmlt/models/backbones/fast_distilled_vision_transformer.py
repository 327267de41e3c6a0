# Copyright (c) mmlt contributors. All rights reserved.
from mmpretrain.models.backbones import DistilledVisionTransformer

from mmlt.registry import MODELS
from .fast_vision_transformer import use_fast_vit_layers


@MODELS.register_module()
class FastDistilledVisionTransformer(DistilledVisionTransformer):
    """mmpretrain's :class:`DistilledVisionTransformer` with faster blocks.

    The DeiT-LT student: the host model (CLS + DIST tokens) with its
    encoder layers' attention and drop paths re-classed by
    :func:`use_fast_vit_layers` after the host's ``__init__``:
    :class:`FastMultiheadAttention` splits q, k, v with ``qkv.unbind(0)``
    and :class:`FastDropPath` rescales the per-sample mask instead of the
    activations, as timm's ViT (the official DeiT-LT student) does. The
    math is the host's: same parameters and state-dict keys (host
    checkpoints and ``tools/model_converters/deit_lt_to_mmlt.py`` output
    load as they are), same outputs up to float rounding, drop-path masks
    drawn as the host draws them. The name says what it is: the host model,
    only faster.

    Args:
        *args: See :class:`mmpretrain.models.DistilledVisionTransformer`.
        **kwargs: See :class:`mmpretrain.models.DistilledVisionTransformer`
            (``arch='deit-base'``, ``img_size``, ``patch_size``,
            ``drop_path_rate``, ...).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_fast_vit_layers(self.layers)
