# Copyright (c) mmlt contributors. All rights reserved.
from mmpretrain.models.backbones import VisionTransformer

from mmlt.registry import MODELS


@MODELS.register_module()
class PartialFinetuneViT(VisionTransformer):
    """A ViT of which only the last blocks train (final norm frozen too).

    The fine-tuning recipe of DINO-based clustering / category discovery
    (GCD, P²OT, SP²OT): from a DINO ViT-B/16 (Caron et al., *Emerging
    Properties in Self-Supervised Vision Transformers*, ICCV 2021) only the
    blocks from ``frozen_stages`` on are trained; the patch embedding, the
    position embedding, the class token, the first ``frozen_stages`` blocks
    and the final LayerNorm stay fixed. mmpretrain's ``VisionTransformer``
    freezes the final norm only when every block is frozen; this subclass
    freezes it whenever ``freeze_final_norm`` is set.

    Args:
        freeze_final_norm (bool): Freeze the final LayerNorm (``ln1``).
            Defaults to True.
        **kwargs: See :class:`mmpretrain.models.VisionTransformer` (e.g.
            ``arch='b'``, ``patch_size=16``, ``frozen_stages=11``).
    """

    def __init__(self, freeze_final_norm: bool = True, **kwargs):
        self.freeze_final_norm = freeze_final_norm
        super().__init__(**kwargs)

    def _freeze_stages(self):
        super()._freeze_stages()
        if self.freeze_final_norm and self.final_norm:
            self.ln1.eval()
            for param in self.ln1.parameters():
                param.requires_grad = False
