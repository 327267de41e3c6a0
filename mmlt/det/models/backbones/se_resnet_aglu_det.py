# Copyright (c) mmlt contributors. All rights reserved.
from typing import Sequence

from mmlt.det.registry import MODELS
from mmlt.models.backbones import SEResNetAGLU

__all__ = ['SEResNetAGLUDet']


@MODELS.register_module()
class SEResNetAGLUDet(SEResNetAGLU):
    """The SE-ResNet AGLU / APA-SE backbone of the APA LVIS detector
    ("Adaptive Parametric Activation", Alexandridis et al., ECCV 2024),
    registered for mmdet.

    It is mmlt's classification backbone :class:`SEResNetAGLU` (AGLU in the
    stem and the three activations of every bottleneck, APA-gated SE with
    LayerNorm and Dropout) with mmdet's defaults for detectors: the four
    stage outputs (strides 4, 8, 16, 32) for an FPN, the stem and the first
    stage frozen (their AGLU lambda / kappa included), BatchNorm in eval
    mode, and the detector's AGLU init ``kappa ~ U(1.0, 1.3)`` (only used
    when training from scratch). The module names are those of the
    classification model, so its checkpoint loads with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.

    Args:
        depth (int): 50, 101 or 152.
        out_indices (Sequence[int]): Output stages. Defaults to (0, 1, 2, 3).
        frozen_stages (int): Stages to freeze (-1: none; 1: stem and
            layer1). Defaults to 1.
        norm_eval (bool): Keep BatchNorm in eval mode. Defaults to True.
        act_cfg (dict): Activation. Defaults to
            ``dict(type='AGLU', kappa_init=(1.0, 1.3))``.
        **kwargs: Other arguments of :class:`SEResNetAGLU`.
    """

    def __init__(self,
                 depth: int,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = 1,
                 norm_eval: bool = True,
                 act_cfg: dict = dict(type='AGLU', kappa_init=(1.0, 1.3)),
                 **kwargs) -> None:
        super().__init__(
            depth,
            out_indices=out_indices,
            frozen_stages=frozen_stages,
            norm_eval=norm_eval,
            act_cfg=act_cfg,
            **kwargs)
