# Copyright (c) mmlt contributors. All rights reserved.
from mmdet.models.roi_heads.mask_heads import FCNMaskHead

from mmlt.det.registry import MODELS
from ..layers import CARAFEPackWithFallback

__all__ = ['FCNMaskHeadWithCARAFEFallback']


@MODELS.register_module()
class FCNMaskHeadWithCARAFEFallback(FCNMaskHead):
    """mmdet's ``FCNMaskHead`` whose ``upsample_cfg=dict(type='carafe')``
    upsampler also runs on CPU.

    mmdet builds mmcv's ``CARAFEPack``, whose op has no CPU kernel in mmcv
    2.1; this head swaps it for :class:`CARAFEPackWithFallback` (same
    parameters, the mmcv op on CUDA, the PyTorch reassembly elsewhere). With
    any other ``upsample_cfg`` it is exactly ``FCNMaskHead``. Used by the
    APA LVIS Mask R-CNN R50 (CARAFE 2x, ``up_kernel=5``,
    ``encoder_kernel=3``, ``compressed_channels=64``).

    Args:
        **kwargs: Arguments of ``FCNMaskHead``. ``upsample_cfg`` of type
            ``'carafe'`` may also set ``force_fallback=True``.
    """

    def __init__(self, **kwargs) -> None:
        upsample_cfg = dict(kwargs.get('upsample_cfg') or {})
        force_fallback = upsample_cfg.pop('force_fallback', False)
        if 'upsample_cfg' in kwargs:
            kwargs['upsample_cfg'] = upsample_cfg
        super().__init__(**kwargs)
        if self.upsample_method == 'carafe':
            cfg = self.upsample_cfg.copy()
            cfg.pop('type')
            self.upsample = CARAFEPackWithFallback(
                channels=self.upsample.channels,
                scale_factor=self.scale_factor,
                force_fallback=force_fallback,
                **cfg)
