# Copyright (c) mmlt contributors. All rights reserved.
"""SE-ResNets with AGLU activations and APA-SE / APA-CBAM attention
(Alexandridis et al., *Adaptive Parametric Activation*, ECCV 2024).

State-dict layout (ImageNet models; the CIFAR one has no ``conv3``/``act3``):

- stem: ``conv1``, ``bn1``, ``relu`` (the stem AGLU keeps mmpretrain's name:
  ``relu.lambda_param``, ``relu.kappa_param``);
- block ``layer{i}.{j}``: ``conv1``, ``bn1``, ``act1``, ``conv2``, ``bn2``,
  ``act2``, ``conv3``, ``bn3``, ``se_layer`` (see :class:`APASELayer` /
  :class:`CBAM`), ``act3``, ``downsample.{0,1}``.

All activation parameters end in ``lambda_param`` / ``kappa_param``.
"""
import copy
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import build_activation_layer
from mmpretrain.models.backbones import SEResNet
from mmpretrain.models.backbones.resnet import BasicBlock, ResLayer
from mmpretrain.models.backbones.seresnext import \
    SEBottleneck as _GroupedSEBottleneck

from mmlt.registry import MODELS
from ..layers.apa_se_layer import APA_SE_GATE, APASELayer
from ..layers.cbam import APA_CBAM_GATE, CBAM
from .resnet32_cifar import ResNet32Cifar

ATTENTIONS = ('se', 'cbam', None)


def build_attention(attention: Optional[str],
                    channels: int,
                    ratio: int,
                    gate_cfg: Optional[dict] = None,
                    attention_cfg: Optional[dict] = None) -> nn.Module:
    """APA-SE (``'se'``), APA-CBAM (``'cbam'``) or identity (``None``);
    ``gate_cfg`` defaults to the paper's APA init of that attention."""
    if attention not in ATTENTIONS:
        raise ValueError(f'attention must be one of {ATTENTIONS}, got '
                         f'{attention!r}.')
    kwargs = dict(attention_cfg or {})
    if attention is None:
        return nn.Identity()
    if attention == 'se':
        return APASELayer(
            channels, ratio=ratio, gate_cfg=gate_cfg or APA_SE_GATE, **kwargs)
    return CBAM(
        channels, ratio=ratio, gate_cfg=gate_cfg or APA_CBAM_GATE, **kwargs)


class AGLUSEBottleneck(_GroupedSEBottleneck):
    """SE(-X) bottleneck with three independent AGLUs:
    conv1x1 -> BN -> act1 -> conv3x3 -> BN -> act2 -> conv1x1 -> BN ->
    attention -> + identity -> act3.

    Built on mmpretrain's SE-ResNeXt bottleneck (``groups=1`` is the
    SE-ResNet bottleneck); mmpretrain's single shared ``relu`` is replaced
    by ``act1``/``act2``/``act3`` built from ``act_cfg``.
    """

    def __init__(self,
                 in_channels,
                 out_channels,
                 se_ratio=16,
                 act_cfg=dict(type='AGLU'),
                 attention='se',
                 gate_cfg=None,
                 attention_cfg=None,
                 **kwargs):
        super().__init__(
            in_channels,
            out_channels,
            se_ratio=se_ratio,
            act_cfg=act_cfg,
            **kwargs)
        del self.relu
        for i in (1, 2, 3):
            self.add_module(f'act{i}',
                            build_activation_layer(copy.deepcopy(act_cfg)))
        self.se_layer = build_attention(attention, out_channels, se_ratio,
                                        gate_cfg, attention_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:

        def _inner_forward(x):
            out = self.act1(self.norm1(self.conv1(x)))
            out = self.act2(self.norm2(self.conv2(out)))
            out = self.se_layer(self.norm3(self.conv3(out)))
            identity = x if self.downsample is None else self.downsample(x)
            return self.drop_path(out) + identity

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(_inner_forward, x, use_reentrant=False)
        else:
            out = _inner_forward(x)
        return self.act3(out)


class AGLUSEBasicBlock(BasicBlock):
    """SE basic block with two AGLUs: conv3x3 -> BN -> act1 -> conv3x3 ->
    BN -> attention -> + identity -> act2 (the CIFAR SE-ResNet-32)."""

    def __init__(self,
                 in_channels,
                 out_channels,
                 se_ratio=4,
                 act_cfg=dict(type='AGLU'),
                 attention='se',
                 gate_cfg=None,
                 attention_cfg=None,
                 **kwargs):
        super().__init__(in_channels, out_channels, act_cfg=act_cfg, **kwargs)
        del self.relu
        self.act1 = build_activation_layer(copy.deepcopy(act_cfg))
        self.act2 = build_activation_layer(copy.deepcopy(act_cfg))
        self.se_layer = build_attention(attention, out_channels, se_ratio,
                                        gate_cfg, attention_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:

        def _inner_forward(x):
            out = self.act1(self.norm1(self.conv1(x)))
            out = self.se_layer(self.norm2(self.conv2(out)))
            identity = x if self.downsample is None else self.downsample(x)
            return self.drop_path(out) + identity

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(_inner_forward, x, use_reentrant=False)
        else:
            out = _inner_forward(x)
        return self.act2(out)


class _AGLUBackboneMixin:
    """Stem AGLU, block arguments, freezing of the stem AGLU and the
    re-initialisation of activation parameters (Places-LT fine-tuning)."""

    def _init_aglu(self, act_cfg, attention, gate_cfg, attention_cfg,
                   reinit_act_stages):
        if attention not in ATTENTIONS:
            raise ValueError(f'attention must be one of {ATTENTIONS}, got '
                             f'{attention!r}.')
        self.act_cfg = dict(act_cfg)
        self.attention = attention
        self.gate_cfg = gate_cfg
        self.attention_cfg = attention_cfg
        self.reinit_act_stages = tuple(reinit_act_stages)

    def _block_kwargs(self) -> dict:
        return dict(
            act_cfg=self.act_cfg,
            attention=self.attention,
            gate_cfg=self.gate_cfg,
            attention_cfg=self.attention_cfg)

    def _make_stem_layer(self, in_channels, stem_channels):
        super()._make_stem_layer(in_channels, stem_channels)
        if getattr(self, 'deep_stem', False):
            for conv_module in self.stem:
                conv_module.activate = build_activation_layer(
                    copy.deepcopy(self.act_cfg))
        else:
            self.relu = build_activation_layer(copy.deepcopy(self.act_cfg))

    def _freeze_stages(self):
        super()._freeze_stages()
        if self.frozen_stages >= 0 and not self.deep_stem:
            for param in self.relu.parameters():
                param.requires_grad = False

    def init_weights(self):
        super().init_weights()
        for stage in self.reinit_act_stages:
            layer = getattr(self, f'layer{stage + 1}')
            with torch.no_grad():
                for name, param in layer.named_parameters():
                    if name.endswith(('lambda_param', 'kappa_param')):
                        # one fresh U(0, 1) draw per parameter tensor, as
                        # the official ``--fn_places`` fine-tuning
                        param.fill_(float(torch.rand(())))


@MODELS.register_module()
class SEResNetAGLU(_AGLUBackboneMixin, SEResNet):
    """SE-ResNet with AGLU in the stem and the bottlenecks and APA-SE
    attention (or APA-CBAM), the ImageNet-LT / iNat / Places-LT / LVIS
    backbone of Alexandridis et al., *Adaptive Parametric Activation*,
    ECCV 2024.

    Built on mmpretrain's :class:`SEResNet`: same stages, strides, freezing,
    ``norm_eval`` and outputs; the blocks are :class:`AGLUSEBottleneck`.

    Args:
        depth (int): 50, 101 or 152.
        act_cfg (dict): Activation of the stem and blocks. Defaults to
            ``dict(type='AGLU')`` (kappa ~ U(0.8, 1.2)); the LVIS detector
            used ``dict(type='AGLU', kappa_init=(1.0, 1.3))``.
        attention (str | None): ``'se'`` (APA-SE), ``'cbam'`` (APA-CBAM) or
            None. Defaults to ``'se'``.
        gate_cfg (dict, optional): Attention gate; defaults to APA with the
            paper's init (``kappa ~ U(-1, 0)`` for SE, ``U(0, 1)`` for CBAM).
            ``dict(type='Sigmoid')`` gives the standard gates.
        attention_cfg (dict, optional): Extra arguments of
            :class:`APASELayer` / :class:`CBAM` (``layer_norm``, ``dropout``).
        se_ratio (int): Squeeze ratio. Defaults to 16.
        groups (int): Groups of the 3x3 convs (1: SE-ResNet). Defaults to 1.
        width_per_group (int): Width per group for ``groups > 1``.
        reinit_act_stages (Sequence[int]): Stages (0-based) whose lambda /
            kappa are refilled with one U(0, 1) draw each after loading
            ``init_cfg`` weights (Places-LT fine-tuning of layer4: ``(3,)``).
        zero_init_residual (bool): Defaults to False (torchvision, like the
            official code).
        **kwargs: Other arguments of :class:`mmpretrain.models.ResNet`.
    """
    arch_settings = {
        depth: (AGLUSEBottleneck, blocks)
        for depth, (_, blocks) in SEResNet.arch_settings.items()
    }

    def __init__(self,
                 depth: int,
                 act_cfg: dict = dict(type='AGLU'),
                 attention: Optional[str] = 'se',
                 gate_cfg: Optional[dict] = None,
                 attention_cfg: Optional[dict] = None,
                 se_ratio: int = 16,
                 groups: int = 1,
                 width_per_group: int = 4,
                 reinit_act_stages: Sequence[int] = (),
                 zero_init_residual: bool = False,
                 **kwargs):
        self._init_aglu(act_cfg, attention, gate_cfg, attention_cfg,
                        reinit_act_stages)
        self.groups = groups
        self.width_per_group = width_per_group
        super().__init__(
            depth,
            se_ratio=se_ratio,
            zero_init_residual=zero_init_residual,
            **kwargs)

    def make_res_layer(self, **kwargs) -> nn.Module:
        return ResLayer(
            se_ratio=self.se_ratio,
            groups=self.groups,
            width_per_group=self.width_per_group,
            base_channels=self.base_channels,
            **self._block_kwargs(),
            **kwargs)


@MODELS.register_module()
class SEResNeXtAGLU(SEResNetAGLU):
    """SE-ResNeXt (32x4d by default) with AGLU and APA-SE; the ImageNet-LT
    SE-X50 of the APA paper. Same arguments as :class:`SEResNetAGLU`."""

    def __init__(self,
                 depth: int,
                 groups: int = 32,
                 width_per_group: int = 4,
                 **kwargs):
        super().__init__(
            depth, groups=groups, width_per_group=width_per_group, **kwargs)


@MODELS.register_module()
class SEResNetCifarAGLU(_AGLUBackboneMixin, ResNet32Cifar):
    """The CIFAR SE-ResNet-32 of the APA paper: :class:`ResNet32Cifar`
    (option-A shortcuts by default) with AGLU in the stem and blocks and
    APA-SE (``r = 4``) in every basic block.

    Args:
        depth (int): 20, 32, 44, 56 or 110. Defaults to 32.
        act_cfg, attention, gate_cfg, attention_cfg, reinit_act_stages: As
            :class:`SEResNetAGLU`.
        se_ratio (int): Squeeze ratio. Defaults to 4.
        **kwargs: Other arguments of :class:`ResNet32Cifar` (``shortcut``,
            ``base_channels``, ``out_indices``, ...).
    """
    arch_settings = {
        depth: (AGLUSEBasicBlock, blocks)
        for depth, (_, blocks) in ResNet32Cifar.arch_settings.items()
    }

    def __init__(self,
                 depth: int = 32,
                 act_cfg: dict = dict(type='AGLU'),
                 attention: Optional[str] = 'se',
                 gate_cfg: Optional[dict] = None,
                 attention_cfg: Optional[dict] = None,
                 se_ratio: int = 4,
                 reinit_act_stages: Sequence[int] = (),
                 **kwargs):
        self._init_aglu(act_cfg, attention, gate_cfg, attention_cfg,
                        reinit_act_stages)
        self.se_ratio = se_ratio
        super().__init__(depth, **kwargs)

    def make_res_layer(self, **kwargs) -> nn.Module:
        return super().make_res_layer(
            se_ratio=self.se_ratio, **self._block_kwargs(), **kwargs)
