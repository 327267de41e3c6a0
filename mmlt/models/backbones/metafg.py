# Copyright (c) mmlt contributors. All rights reserved.
"""MetaFG, the backbone of MetaFormer (Diao, Jiang, Wen, Sun, Yuan,
*MetaFormer: A Unified Meta Framework for Fine-Grained Recognition*, arXiv
2203.02751). Named MetaFG in mmlt because ``MetaFormer`` is PoolFormer's
name in OpenMMLab.

State-dict layout:

- ``stem.{0,1,2}``: three 3x3 ``ConvModule`` (conv + BN + ReLU), the first
  with stride 2, then a 3x3/2 max-pool (stride 4 in all);
- ``stage1.{i}``, ``stage2.{i}``: mmpretrain ``InvertedResidual`` (MBConv:
  ``expand_conv``, ``depthwise_conv``, ``se.conv1``/``se.conv2``,
  ``linear_conv``); stage 2 starts with stride 2 (stride 8);
- ``stage3``, ``stage4``: :class:`MetaFGAttentionStage` (``patch_embed``
  with stride 2, ``cls_token``, ``meta_proj.{g}``, ``blocks.{i}``: strides
  16 and 32).
"""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks.transformer import PatchEmbed
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.utils import InvertedResidual

from mmlt.registry import MODELS
from ..layers.meta_projection import MetaProjection
from ..layers.metafg_attention import MetaFGAttention
from ..layers.metafg_block import MetaFGBlock


class MetaFGAttentionStage(nn.Module):
    """One attention stage of MetaFG: an overlapping patch embedding (3x3
    conv with stride 2, LayerNorm), then ``[CLS, meta tokens...]`` prepended
    to the patch tokens and ``depth`` :class:`MetaFGBlock`.

    Args:
        in_channels (int): Channels of the input feature map.
        embed_dims (int): Token dimension.
        depth (int): Number of blocks.
        grid_size (int): Patch grid side at the configured image size.
        meta_dims (Sequence[int]): Dimension of each meta group; each gets a
            :class:`MetaProjection` to ``embed_dims``.
        drop_path_rates (Sequence[float]): Stochastic depth of each block.
        **block_kwargs: Other arguments of :class:`MetaFGBlock`.
    """

    def __init__(self, in_channels: int, embed_dims: int, depth: int,
                 grid_size: int, meta_dims: Sequence[int],
                 drop_path_rates: Sequence[float], **block_kwargs):
        super().__init__()
        self.patch_embed = PatchEmbed(
            in_channels=in_channels,
            embed_dims=embed_dims,
            kernel_size=3,
            stride=2,
            padding=1,
            norm_cfg=dict(type='LN'))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.meta_proj = nn.ModuleList(
            MetaProjection(d, embed_dims) for d in meta_dims)
        self.blocks = nn.ModuleList(
            MetaFGBlock(
                embed_dims,
                grid_size=grid_size,
                drop_path_rate=drop_path_rates[i],
                **block_kwargs) for i in range(depth))

    def forward(
        self, x: torch.Tensor, metas: Sequence[torch.Tensor] = ()
    ) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """``(B, C_in, H, W)`` and the meta groups to ``(B, E + h*w, C)``
        tokens (``E`` extra tokens first) and the grid ``(h, w)``."""
        x, grid = self.patch_embed(x)
        B = x.shape[0]
        extra = [self.cls_token.expand(B, -1, -1)]
        extra += [proj(m) for proj, m in zip(self.meta_proj, metas)]
        x = torch.cat(extra + [x], dim=1)
        for block in self.blocks:
            x = block(x, grid)
        return x, tuple(grid)


@MODELS.register_module()
class MetaFG(BaseBackbone):
    """MetaFG backbone (MetaFormer-0/1/2 of Diao et al., arXiv 2203.02751).

    A convolution stem, two MBConv stages and two attention stages; each
    attention stage prepends a CLS token and one token per meta vector
    (projected by :class:`MetaProjection`) to its patches. The output is the
    pair of CLS tokens ``(cls_1, cls_2)`` of stages 3 and 4, shapes
    ``(B, C3)`` and ``(B, C4)``; :class:`MetaFGHead` fuses them.

    ===== ============= ============ ============= ======= ======
    arch  conv dims     attn dims    depths        params  FLOPs
    ===== ============= ============ ============= ======= ======
    0     64, 96, 192   384, 768     2, 3, 5, 2    28M     4.6G
    1     64, 96, 192   384, 768     2, 6, 14, 2   45M     8.5G
    2     128, 128, 256 512, 1024    2, 6, 14, 2   81M     16.9G
    ===== ============= ============ ============= ======= ======

    (params and FLOPs at 224 px as published, with the 1000-class head.)

    Any input size divisible by 32 works; the relative position bias tables
    are built for ``img_size`` and resized bicubically for other sizes.

    Args:
        arch (str | dict): ``'0'``, ``'1'``, ``'2'`` or a dict with
            ``conv_dims`` (C0, C1, C2), ``attn_dims`` (C3, C4) and ``depths``
            (four ints). Defaults to ``'0'``.
        img_size (int): Input size the bias tables are built for.
            Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        meta_dims (Sequence[int]): Dimensions of the meta groups, split off
            the last axis of ``meta`` in order, e.g. ``(4, 3)`` for the
            iNaturalist date and location, ``(312, )`` for CUB attributes,
            ``(768, )`` for word embeddings. Empty for vision only.
        num_heads (int): Heads of every attention block. Defaults to 8.
        mlp_ratio (float): MBConv expansion and MLP ratio. Defaults to 4.
        drop_rate (float): Dropout after attention and MLP. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth (drop-connect in MBConv),
            linear over all blocks of stages 1-4. Defaults to 0.1.
        conv_norm_cfg (dict): Norm of the MBConv blocks. Defaults to BN with
            ``eps=0.01, momentum=0.1`` (the EfficientNet setting).
        conv_act_cfg (dict): Activation of the MBConv blocks (Swish).
        se_ratio (float): SE squeeze channels over the block's input
            channels. Defaults to 0.25.
        channels_last (bool): Keep the convolution weights and the
            convolution stages' activations in channels-last memory format
            (same results; the MBConv stages train about 1.5x faster on a
            CPU). Defaults to True.
        init_cfg (dict, optional): Initialization config.
    """
    arch_zoo = {
        '0':
        dict(
            conv_dims=(64, 96, 192), attn_dims=(384, 768),
            depths=(2, 3, 5, 2)),
        '1':
        dict(
            conv_dims=(64, 96, 192),
            attn_dims=(384, 768),
            depths=(2, 6, 14, 2)),
        '2':
        dict(
            conv_dims=(128, 128, 256),
            attn_dims=(512, 1024),
            depths=(2, 6, 14, 2)),
    }

    def __init__(self,
                 arch='0',
                 img_size: int = 224,
                 in_channels: int = 3,
                 meta_dims: Sequence[int] = (),
                 num_heads: int = 8,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1,
                 conv_norm_cfg: dict = dict(type='BN', eps=0.01, momentum=0.1),
                 conv_act_cfg: dict = dict(type='SiLU'),
                 se_ratio: float = 0.25,
                 channels_last: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise KeyError(f'MetaFG arch {arch!r} is not one of '
                               f'{sorted(self.arch_zoo)}.')
            arch = self.arch_zoo[arch]
        missing = {'conv_dims', 'attn_dims', 'depths'} - set(arch)
        if missing:
            raise KeyError(f'MetaFG arch dict lacks {sorted(missing)}.')
        if img_size % 32:
            raise ValueError(f'MetaFG img_size must be a multiple of 32, '
                             f'got {img_size}.')
        c0, c1, c2 = arch['conv_dims']
        c3, c4 = arch['attn_dims']
        depths = tuple(arch['depths'])
        self.img_size = img_size
        self.meta_dims = tuple(int(d) for d in meta_dims)
        self.embed_dims = (c3, c4)
        self.depths = depths

        stem_norm = dict(type='BN')
        mid = 3 * (c0 // 4)
        self.stem = nn.Sequential(
            ConvModule(
                in_channels, mid, 3, stride=2, padding=1, norm_cfg=stem_norm),
            ConvModule(mid, c0, 3, padding=1, norm_cfg=stem_norm),
            ConvModule(c0, c0, 3, padding=1, norm_cfg=stem_norm),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

        num_blocks = sum(depths)
        dpr = [
            drop_path_rate * i / max(num_blocks - 1, 1)
            for i in range(num_blocks)
        ]
        starts = [sum(depths[:i]) for i in range(4)]

        def mbconv_stage(index, in_ch, out_ch, first_stride):
            blocks = []
            for i in range(depths[index]):
                cin = in_ch if i == 0 else out_ch
                blocks.append(
                    InvertedResidual(
                        cin,
                        out_ch,
                        mid_channels=int(cin * mlp_ratio),
                        stride=first_stride if i == 0 else 1,
                        se_cfg=dict(
                            channels=int(cin * mlp_ratio),
                            squeeze_channels=max(1, int(cin * se_ratio)),
                            act_cfg=(copy.deepcopy(conv_act_cfg),
                                     dict(type='Sigmoid'))),
                        norm_cfg=conv_norm_cfg,
                        act_cfg=conv_act_cfg,
                        drop_path_rate=dpr[starts[index] + i]))
            return nn.Sequential(*blocks)

        self.stage1 = mbconv_stage(0, c0, c1, 1)
        self.stage2 = mbconv_stage(1, c1, c2, 2)
        block_kwargs = dict(
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate)
        self.stage3 = MetaFGAttentionStage(
            c2, c3, depths[2], img_size // 16, self.meta_dims,
            dpr[starts[2]:starts[2] + depths[2]], **block_kwargs)
        self.stage4 = MetaFGAttentionStage(c3, c4, depths[3], img_size // 32,
                                           self.meta_dims, dpr[starts[3]:],
                                           **block_kwargs)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def init_weights(self) -> None:
        """The official initialisation (truncated-normal linear layers and
        tokens, Kaiming-normal fan-out convolutions); a ``Pretrained``
        ``init_cfg`` is loaded over it, so that parameters the checkpoint
        lacks (e.g. new meta projections) keep the official init."""
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            self._official_init()
            super().init_weights()
        else:
            super().init_weights()
            self._official_init()

    def _official_init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(
                    m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, MetaFGAttention):
                trunc_normal_(m.relative_position_bias_table, std=.02)
        for stage in (self.stage3, self.stage4):
            trunc_normal_(stage.cls_token, std=.02)

    def train(self, mode: bool = True) -> 'MetaFG':
        # mmpretrain's BaseBackbone.train returns None; keep nn.Module's
        # ``model.eval()`` chaining.
        super().train(mode)
        return self

    def split_meta(self, meta: Optional[torch.Tensor],
                   dtype: torch.dtype) -> List[torch.Tensor]:
        """Check ``meta`` against ``meta_dims`` and split it into groups."""
        if not self.meta_dims:
            if meta is not None:
                raise ValueError(
                    'This MetaFG has no meta_dims (vision only) but got a '
                    f'meta tensor of shape {tuple(meta.shape)}.')
            return []
        if meta is None:
            raise ValueError(
                f'MetaFG with meta_dims={self.meta_dims} needs `meta` of '
                f'shape (B, {sum(self.meta_dims)}) or (B, tokens, '
                f'{sum(self.meta_dims)}).')
        if meta.ndim not in (2, 3) or meta.shape[-1] != sum(self.meta_dims):
            raise ValueError(
                f'MetaFG meta has shape {tuple(meta.shape)}; expected '
                f'(B, {sum(self.meta_dims)}) or (B, tokens, '
                f'{sum(self.meta_dims)}) for meta_dims={self.meta_dims}.')
        return list(torch.split(meta.to(dtype), self.meta_dims, dim=-1))

    def forward(
        self,
        x: torch.Tensor,
        meta: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            x (torch.Tensor): Images ``(B, 3, H, W)``, ``H, W`` multiples of
                32.
            meta (torch.Tensor, optional): ``(B, sum(meta_dims))`` or
                ``(B, tokens, sum(meta_dims))``; required iff ``meta_dims``.

        Returns:
            tuple[torch.Tensor]: ``cls_1`` ``(B, C3)`` and ``cls_2``
            ``(B, C4)``.
        """
        metas = self.split_meta(meta, x.dtype)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.stage2(self.stage1(self.stem(x)))
        tokens, (h, w) = self.stage3(x, metas)
        cls_1 = tokens[:, 0]
        num_extra = tokens.shape[1] - h * w
        x = tokens[:, num_extra:].transpose(1, 2).reshape(x.shape[0], -1, h, w)
        tokens, _ = self.stage4(x, metas)
        return cls_1, tokens[:, 0]
