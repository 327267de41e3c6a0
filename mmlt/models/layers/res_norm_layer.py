# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn


class ResNormLayer(nn.Module):
    """Residual block of two ``Linear -> ReLU -> LayerNorm`` layers:
    ``x + LN(ReLU(W2 LN(ReLU(W1 x))))``.

    The last layer of MetaFormer's meta projection heads (Diao et al.,
    *MetaFormer: A Unified Meta Framework for Fine-Grained Recognition*,
    arXiv 2203.02751).

    Args:
        dims (int): Input and output dimension.
    """

    def __init__(self, dims: int):
        super().__init__()
        self.w1 = nn.Linear(dims, dims)
        self.norm1 = nn.LayerNorm(dims)
        self.w2 = nn.Linear(dims, dims)
        self.norm2 = nn.LayerNorm(dims)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(self.act(self.w1(x)))
        y = self.norm2(self.act(self.w2(y)))
        return x + y
