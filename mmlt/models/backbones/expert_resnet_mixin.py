# Copyright (c) mmlt contributors. All rights reserved.
"""The "shared stages + K expert branches" mixin for mmpretrain ResNets.

Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import CheckpointLoader
from torch.func import functional_call

from .expert_resnet_layers import ExpertConv2d, expert_state

EXPERT_MODES = ('per_expert', 'grouped')


class ExpertBranchMixin:
    """Turns an mmpretrain ResNet into "shared stages + K expert branches".

    The first ``num_shared_stages`` stages are shared; every later stage is
    a fused layer holding the K experts' copies (see
    :mod:`.expert_resnet_layers`): convs are grouped by expert and the first
    conv / shortcut of the first expert stage read the shared map. The
    forward pass returns ``(feats, )`` with the globally average-pooled
    features of every expert stacked as ``(N, K, D)``.

    Two ways to run the experts give identical results: ``'per_expert'``
    runs each expert with its own (single-expert) convolutions on views of
    the fused weights, ``'grouped'`` runs the fused grouped convolutions. On
    the 2-core CPUs we measured, per-expert channels-last convolutions were
    faster than oneDNN's grouped ones; try ``'grouped'`` on other hardware.
    Subsets of samples can be sent through single experts with
    :meth:`forward_expert` (routing at inference). (In ``'per_expert'``
    training, BatchNorm's ``num_batches_tracked`` counts K per step; it only
    matters with ``momentum=None``.)

    Subclasses call :meth:`_setup_experts` before ``super().__init__`` and
    :meth:`_finish_experts` after it.
    """

    def _setup_experts(self, num_experts: int, num_shared_stages: int,
                       expert_planes: Optional[Sequence[int]],
                       reduce_dimension: bool, expert_mode: str,
                       channels_last: bool, num_stages: int) -> None:
        if num_experts < 1:
            raise ValueError(f'num_experts must be >= 1, got {num_experts}.')
        if not 1 <= num_shared_stages < num_stages:
            raise ValueError(f'num_shared_stages must be in [1, {num_stages}'
                             f'), got {num_shared_stages}.')
        if expert_mode not in EXPERT_MODES:
            raise ValueError(f'expert_mode must be one of {EXPERT_MODES}, '
                             f'got {expert_mode!r}.')
        num_expert_stages = num_stages - num_shared_stages
        if expert_planes is not None and \
                len(expert_planes) != num_expert_stages:
            raise ValueError(
                f'expert_planes needs one width per expert stage '
                f'({num_expert_stages}), got {tuple(expert_planes)}.')
        self.num_experts = num_experts
        self.num_shared_stages = num_shared_stages
        self.expert_planes = expert_planes
        self.reduce_dimension = reduce_dimension
        self.expert_mode = expert_mode
        self.channels_last = channels_last
        self._num_built_stages = 0
        self._stage_out = None  # per-expert output channels of last stage
        self._expert_templates = {}  # single-expert layers on 'meta'

    def _finish_experts(self) -> None:
        self.expert_layers = self.res_layers[self.num_shared_stages:]
        self.feat_dim = self._stage_out
        self._template_pairs = {}
        for name in self.expert_layers:
            fused = dict(getattr(self, name).named_modules())
            self._template_pairs[name] = [
                (module, fused[key]) for key, module in
                self._expert_templates[name].named_modules()
            ]
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    # ------------------------------------------------------------ building
    def _expert_stage_planes(self, stage: int, default_planes: int) -> int:
        if self.expert_planes is not None:
            return self.expert_planes[stage - self.num_shared_stages]
        return default_planes * 3 // 4 if self.reduce_dimension \
            else default_planes

    def make_res_layer(self, **kwargs) -> nn.Module:
        stage = self._num_built_stages
        self._num_built_stages += 1
        expansion = kwargs['expansion']
        if stage < self.num_shared_stages:
            self._stage_out = kwargs['out_channels']
            return super().make_res_layer(**kwargs)
        in_channels = self._stage_out
        out_channels = expansion * self._expert_stage_planes(
            stage, kwargs['out_channels'] // expansion)
        shared_input = stage == self.num_shared_stages
        layer = self._make_fused_layer(kwargs, in_channels, out_channels,
                                       self.num_experts, shared_input)
        with torch.device('meta'):
            template = self._make_fused_layer(kwargs, in_channels,
                                              out_channels, 1, shared_input)
        self._expert_templates[f'layer{stage + 1}'] = template
        self._stage_out = out_channels
        return layer

    def _make_fused_layer(self, kwargs: dict, in_channels: int,
                          out_channels: int, num_experts: int,
                          shared_input: bool) -> nn.Module:
        layer = super().make_res_layer(**dict(
            kwargs,
            in_channels=in_channels * num_experts,
            out_channels=out_channels * num_experts,
            conv_cfg=dict(type=ExpertConv2d, num_experts=num_experts)))
        first = layer[0]
        if shared_input:  # these convs read the shared (un-fused) map
            first.conv1 = _ungrouped_conv(first.conv1, in_channels)
        if first.downsample is not None:
            first.downsample = self._make_expert_shortcut(
                first.downsample, in_channels, out_channels,
                kwargs.get('stride', 1), num_experts, shared_input)
        return layer

    def _make_expert_shortcut(self, downsample: nn.Module, in_channels: int,
                              out_channels: int, stride: int,
                              num_experts: int,
                              shared_input: bool) -> nn.Module:
        """Projection (conv + BN) shortcut; its conv reads the shared map in
        the first expert stage."""
        if shared_input:
            downsample[0] = _ungrouped_conv(downsample[0], in_channels)
        return downsample

    # ------------------------------------------------------------ forward
    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.norm1(self.conv1(x)))
        return self.maxpool(x) if hasattr(self, 'maxpool') else x

    def forward_shared(self, x: torch.Tensor) -> torch.Tensor:
        """The shared part: stem and the first ``num_shared_stages``."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.forward_stem(x)
        for name in self.res_layers[:self.num_shared_stages]:
            x = getattr(self, name)(x)
        return x

    def forward_expert(self, shared: torch.Tensor,
                       index: int) -> torch.Tensor:
        """Pooled ``(N, D)`` feature of expert ``index`` on a shared map."""
        if not 0 <= index < self.num_experts:
            raise ValueError(f'expert index {index} out of range '
                             f'[0, {self.num_experts}).')
        x = shared
        for name in self.expert_layers:
            template = self._expert_templates[name]
            for tmpl_module, fused_module in self._template_pairs[name]:
                tmpl_module.training = fused_module.training
            state = expert_state(getattr(self, name), self.num_experts, index)
            x = functional_call(template, state, (x, ))
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor):
        """Returns ``(feats, )``, feats of shape ``(N, K, D)``."""
        shared = self.forward_shared(x)
        if self.expert_mode == 'per_expert':
            feats = torch.stack([
                self.forward_expert(shared, k)
                for k in range(self.num_experts)
            ], dim=1)
        else:
            x = shared
            for name in self.expert_layers:
                x = getattr(self, name)(x)
            feats = x.mean(dim=(2, 3)).view(x.size(0), self.num_experts, -1)
        return (feats, )

    # ------------------------------------------------------------ init
    def init_weights(self):
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self.load_pretrained_to_experts(cfg['checkpoint'],
                                            cfg.get('prefix', None))
            self._is_init = True
            return
        super().init_weights()

    def load_pretrained_to_experts(self, checkpoint: str,
                                   prefix: Optional[str] = None) -> None:
        """Load a single-branch (e.g. ImageNet) ResNet checkpoint: shared
        stages are copied, and every expert of a fused stage is initialised
        from the same stage weights (as RIDE/MDCS on Places-LT).

        Args:
            checkpoint (str): Path or URL of a torchvision / mmpretrain
                ResNet checkpoint.
            prefix (str, optional): Key prefix to strip and select, e.g.
                ``'backbone.'`` for mmpretrain classifier checkpoints.
        """
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        if prefix:
            state = {k[len(prefix):]: v for k, v in state.items()
                     if k.startswith(prefix)}
        own = dict(self.state_dict())
        missing = sorted(set(own) - set(state))
        if missing:
            raise KeyError(f'Checkpoint {checkpoint} lacks {len(missing)} '
                           f'backbone keys, e.g. {missing[:5]}.')
        fused = tuple(f'{name}.' for name in self.expert_layers)
        new_state = {}
        for key, target in own.items():
            value = state[key]
            if key.startswith(fused) and value.dim() > 0:
                value = value.repeat(self.num_experts,
                                     *([1] * (value.dim() - 1)))
            if value.shape != target.shape:
                raise ValueError(
                    f'Pretrained {key} has shape {tuple(state[key].shape)}, '
                    f'which cannot initialise {tuple(target.shape)} (expert '
                    'widths must equal the checkpoint\'s; use '
                    'reduce_dimension=False).')
            new_state[key] = value
        self.load_state_dict(new_state, strict=True)


def _ungrouped_conv(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """A conv with the same output/kernel as ``conv`` reading a shared map of
    ``in_channels`` channels (the weight shape is unchanged)."""
    return nn.Conv2d(
        in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
        padding=conv.padding, dilation=conv.dilation,
        groups=conv.groups // conv.num_experts, bias=conv.bias is not None)
