# Copyright (c) mmlt contributors. All rights reserved.
"""The "shared stages + K expert branches" mixin for mmpretrain ResNets.

Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_ (the expert-branch
ResNets that SADE and MDCS reuse) and `Long-Tailed Visual Recognition via
Self-Heterogeneous Integration with Knowledge Excavation (CVPR 2023)
<https://arxiv.org/abs/2304.01279>`_ (depth-wise knowledge fusion).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import CheckpointLoader

from .depthwise_fusion import DepthwiseFusion


class ExpertBranchMixin:
    """Turns an mmpretrain ResNet into "shared stages + K expert branches".

    The stem and the first ``num_shared_stages`` stages are the host
    ResNet's own. Every later stage ``layer<i>`` is an ``nn.ModuleList`` of
    K mmpretrain ``ResLayer`` s, one per expert (``layer3[k]`` is expert
    ``k``'s third stage), so a checkpoint holds one module per expert as the
    official RIDE / MDCS / SHIKE code does.

    Extension points:

    - :meth:`forward_shared` returns the outputs of the stem and of every
      shared stage (the *taps*); :meth:`forward_expert` runs one expert on
      them, optionally for a subset of samples (routing at inference);
    - :meth:`expert_extra` post-processes an expert's last feature map
      before pooling, given the taps. With ``fusion`` (SHIKE's depth-wise
      knowledge fusion, :class:`DepthwiseFusion`) each expert multiplies its
      map by an aligned shallow tap; subclasses may override it for other
      per-expert extras.

    The forward pass returns ``(feats, )`` with the globally average-pooled
    features of every expert stacked as ``(N, K, D)``.

    Subclasses call :meth:`_setup_experts` before ``super().__init__`` and
    :meth:`_finish_experts` after it.
    """

    def _setup_experts(self,
                       num_experts: int,
                       num_shared_stages: int,
                       expert_planes: Optional[Sequence[int]],
                       reduce_dimension: bool,
                       channels_last: bool,
                       num_stages: int,
                       fusion: Optional[dict] = None) -> None:
        if num_experts < 1:
            raise ValueError(f'num_experts must be >= 1, got {num_experts}.')
        if not 1 <= num_shared_stages < num_stages:
            raise ValueError(f'num_shared_stages must be in [1, {num_stages}'
                             f'), got {num_shared_stages}.')
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
        self.channels_last = channels_last
        self.fusion_cfg = fusion
        self._num_built_stages = 0
        self._stage_out: List[int] = []  # output channels of every stage

    def _finish_experts(self) -> None:
        self.expert_layers = self.res_layers[self.num_shared_stages:]
        self.feat_dim = self._stage_out[-1]
        self.fusion = None
        if self.fusion_cfg is not None:
            tap_channels = [self.stem_out_channels] + \
                self._stage_out[:self.num_shared_stages]
            self.fusion = DepthwiseFusion(
                num_experts=self.num_experts,
                tap_channels=tap_channels,
                out_channels=self.feat_dim,
                norm_cfg=self.norm_cfg,
                **self.fusion_cfg)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    @property
    def stem_out_channels(self) -> int:
        """Channels of the stem output (tap 0)."""
        return self.norm1.num_features

    # ------------------------------------------------------------ building
    def _expert_stage_planes(self, stage: int, default_planes: int) -> int:
        if self.expert_planes is not None:
            return self.expert_planes[stage - self.num_shared_stages]
        return default_planes * 3 // 4 if self.reduce_dimension \
            else default_planes

    def make_res_layer(self, **kwargs) -> nn.Module:
        stage = self._num_built_stages
        self._num_built_stages += 1
        if stage < self.num_shared_stages:
            self._stage_out.append(kwargs['out_channels'])
            return super().make_res_layer(**kwargs)
        expansion = kwargs['expansion']
        kwargs = dict(
            kwargs,
            in_channels=self._stage_out[-1],
            out_channels=expansion * self._expert_stage_planes(
                stage, kwargs['out_channels'] // expansion))
        self._stage_out.append(kwargs['out_channels'])
        experts = nn.ModuleList(
            super(ExpertBranchMixin, self).make_res_layer(**kwargs)
            for _ in range(self.num_experts))
        # mmpretrain's ResNet reads ``feat_dim`` from the last stage's last
        # entry; a ResLayer has no ``out_channels`` of its own
        experts[-1].out_channels = kwargs['out_channels']
        return experts

    # ------------------------------------------------------------ forward
    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.norm1(self.conv1(x)))
        return self.maxpool(x) if hasattr(self, 'maxpool') else x

    def forward_shared(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The shared part.

        Returns:
            tuple: the taps: the stem output followed by the output of each
            shared stage (the last one feeds the experts).
        """
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        taps = [self.forward_stem(x)]
        for name in self.res_layers[:self.num_shared_stages]:
            taps.append(getattr(self, name)(taps[-1]))
        return tuple(taps)

    def expert_extra(self, index: int, x: torch.Tensor,
                     taps: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Per-expert processing of expert ``index``'s last feature map
        ``x`` before pooling (identity, or the depth-wise fusion)."""
        if self.fusion is None:
            return x
        return self.fusion(index, x, taps)

    def forward_expert(self, taps: Tuple[torch.Tensor, ...],
                       index: int) -> torch.Tensor:
        """Pooled ``(N, D)`` feature of expert ``index`` on the shared taps
        of :meth:`forward_shared` (every tap may be indexed by the same
        subset of samples)."""
        if not 0 <= index < self.num_experts:
            raise ValueError(f'expert index {index} out of range '
                             f'[0, {self.num_experts}).')
        x = taps[-1]
        for name in self.expert_layers:
            x = getattr(self, name)[index](x)
        return self.expert_extra(index, x, taps).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Returns ``(feats, )``, feats of shape ``(N, K, D)``."""
        taps = self.forward_shared(x)
        return (torch.stack(
            [self.forward_expert(taps, k) for k in range(self.num_experts)],
            dim=1), )

    # ------------------------------------------------------------ init
    def init_weights(self):
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            if self.fusion is not None:  # no counterpart in the checkpoint
                self.fusion.init_weights()
            self.load_pretrained_to_experts(cfg['checkpoint'],
                                            cfg.get('prefix', None))
            self._is_init = True
            return
        super().init_weights()

    def load_pretrained_to_experts(self,
                                   checkpoint: str,
                                   prefix: Optional[str] = None) -> None:
        """Load a single-branch (e.g. ImageNet) ResNet checkpoint: the stem
        and shared stages are copied, and every expert's stage ``layer<i>``
        is initialised from the checkpoint's ``layer<i>`` (as RIDE / MDCS on
        Places-LT). Parameters without a counterpart in a plain ResNet (the
        fusion branches) keep their initialisation.

        Args:
            checkpoint (str): Path or URL of a torchvision / mmpretrain
                ResNet checkpoint.
            prefix (str, optional): Key prefix to strip and select, e.g.
                ``'backbone.'`` for mmpretrain classifier checkpoints.
        """
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        if prefix:
            state = {
                k[len(prefix):]: v
                for k, v in state.items() if k.startswith(prefix)
            }
        new_state, missing = {}, []
        for key, target in self.state_dict().items():
            if key.startswith('fusion.'):
                continue
            source = key
            stage = key.split('.', 1)[0]
            if stage in self.expert_layers:  # 'layer3.<k>.<rest>'
                source = stage + '.' + key.split('.', 2)[2]
            if source not in state:
                missing.append(source)
                continue
            value = state[source]
            if value.shape != target.shape:
                raise ValueError(
                    f'Pretrained {source} has shape {tuple(value.shape)}, '
                    f'which cannot initialise {key} {tuple(target.shape)} '
                    '(expert widths must equal the checkpoint\'s; use '
                    'reduce_dimension=False).')
            new_state[key] = value
        if missing:
            missing = sorted(set(missing))
            raise KeyError(f'Checkpoint {checkpoint} lacks {len(missing)} '
                           f'backbone keys, e.g. {missing[:5]}.')
        self.load_state_dict(new_state, strict=self.fusion is None)
