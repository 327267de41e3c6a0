# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn
from mmdet.models.layers import NormedConv2d
from torch import Tensor

from mmlt.det.registry import MODELS

__all__ = ['LearnableTempNormedConv2d']


@MODELS.register_module()
class LearnableTempNormedConv2d(NormedConv2d):
    """Cosine-normalised conv (mmdet's ``NormedConv2d``) with a learnable
    temperature.

    The mask predictor of the APA LVIS detector ("Adaptive Parametric
    Activation", Alexandridis et al., ECCV 2024, Mask R-CNN R50 config):
    the input features are L2-normalised over channels, the weights over
    their input channels, and the logits are scaled by ``tau ** 2`` where
    ``tau`` is learned (initialised to 4.5, so the scale starts at 20.25).
    Squaring keeps the scale positive. mmdet's ``NormedConv2d`` only has a
    fixed temperature (``tempearture``, spelled as in mmdet); for the R101
    config use it directly with ``tempearture=20``.

    Args:
        *args: ``in_channels, out_channels, kernel_size, ...`` of
            ``nn.Conv2d``.
        temperature_init (float): Initial ``tau``. Defaults to 4.5.
        power (float): Power of the norms. Defaults to 1.
        eps (float): Added to the norms. Defaults to 1e-6.
        norm_over_kernel (bool): Normalise each filter over its whole kernel
            instead of per kernel position. Defaults to False.
        **kwargs: Other ``nn.Conv2d`` arguments.
    """

    def __init__(self,
                 *args,
                 temperature_init: float = 4.5,
                 power: float = 1.0,
                 eps: float = 1e-6,
                 norm_over_kernel: bool = False,
                 **kwargs) -> None:
        super().__init__(
            *args,
            tempearture=1.0,  # unused: the learned tau ** 2 replaces it
            power=power,
            eps=eps,
            norm_over_kernel=norm_over_kernel,
            **kwargs)
        if temperature_init <= 0:
            raise ValueError(
                f'temperature_init must be positive, got {temperature_init}.')
        self.temperature = nn.Parameter(torch.tensor(float(temperature_init)))

    @property
    def scale(self) -> Tensor:
        """The logit scale ``tau ** 2``."""
        return self.temperature**2

    def forward(self, x: Tensor) -> Tensor:
        """Normalise features and filters, convolve, scale by ``tau ** 2``."""
        if self.norm_over_kernel:
            w_norm = self.weight.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
        else:
            w_norm = self.weight.norm(dim=1, keepdim=True)
        weight = self.weight / (w_norm.pow(self.power) + self.eps)
        x = x / (x.norm(dim=1, keepdim=True).pow(self.power) + self.eps)
        return self._conv_forward(x * self.scale, weight, self.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + ', learnable temperature'
