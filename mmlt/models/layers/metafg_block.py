# Copyright (c) mmlt contributors. All rights reserved.
from typing import Sequence

import torch
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer

from .metafg_attention import MetaFGAttention


class MetaFGBlock(TransformerEncoderLayer):
    """Pre-norm transformer block of MetaFormer's attention stages:
    ``x + DropPath(Attn(LN x))`` then ``x + DropPath(MLP(LN x))``, where the
    attention carries the relative position bias of
    :class:`MetaFGAttention` (Diao et al., arXiv 2203.02751).

    mmpretrain's ViT encoder layer with its attention replaced; the forward
    takes the patch grid size for the bias.

    Args:
        embed_dims (int): Token dimension.
        num_heads (int): Number of heads.
        grid_size (int | tuple[int, int]): Patch grid of the bias table.
        mlp_ratio (float): MLP hidden size over ``embed_dims``.
            Defaults to 4.
        drop_path_rate (float): Stochastic depth of both branches.
        qkv_bias (bool): Bias of the qkv projection. Defaults to False.
        **kwargs: Other arguments of :class:`TransformerEncoderLayer`.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 grid_size,
                 mlp_ratio: float = 4.,
                 drop_path_rate: float = 0.,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 qkv_bias: bool = False,
                 **kwargs):
        super().__init__(
            embed_dims=embed_dims,
            num_heads=num_heads,
            feedforward_channels=int(embed_dims * mlp_ratio),
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate,
            qkv_bias=qkv_bias,
            **kwargs)
        self.attn = MetaFGAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            grid_size=grid_size,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            dropout_layer=dict(type='DropPath', drop_prob=drop_path_rate),
            qkv_bias=qkv_bias)

    def forward(self, x: torch.Tensor,
                grid_size: Sequence[int]) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), grid_size)
        return self.ffn(self.ln2(x), identity=x)
