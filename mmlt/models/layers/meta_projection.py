# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn

from .res_norm_layer import ResNormLayer


class MetaProjection(nn.Sequential):
    """Meta vector to token(s): ``Linear -> ReLU -> LayerNorm ->
    ResNormLayer``.

    MetaFormer (Diao et al., arXiv 2203.02751) projects each meta group
    (e.g. the 4-d temporal and the 3-d spatial part of the iNaturalist prior,
    312 CUB attributes, or 768-d word embeddings) with one such head per
    attention stage. The input may carry extra leading dimensions (e.g.
    ``(B, words, dims)`` for text), each vector becomes one token.

    Args:
        in_dims (int): Dimension of the meta group.
        embed_dims (int): Token dimension of the attention stage.
    """

    def __init__(self, in_dims: int, embed_dims: int):
        if in_dims <= 0:
            raise ValueError(f'MetaProjection needs in_dims > 0, got '
                             f'{in_dims}.')
        super().__init__(
            nn.Linear(in_dims, embed_dims), nn.ReLU(),
            nn.LayerNorm(embed_dims), ResNormLayer(embed_dims))
        self.in_dims = in_dims
        self.embed_dims = embed_dims

    def forward(self, meta: torch.Tensor) -> torch.Tensor:
        """``(B, ..., in_dims)`` to ``(B, tokens, embed_dims)``."""
        return super().forward(meta).reshape(meta.shape[0], -1,
                                             self.embed_dims)
