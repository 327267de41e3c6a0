# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F


class NormedLinear(nn.Module):
    """Cosine classifier: ``scale * <x / |x|, w_c / |w_c|>``.

    The classifier of LDAM-DRW, RIDE, SHIKE and MDCS (there with
    ``scale = 30``). Weights are initialised uniform(-1, 1) and renormalised
    per class as in the official code.

    Args:
        in_features (int): Input feature size.
        out_features (int): Number of classes.
        scale (float): Logit scale ``s``. Defaults to 30.
    """

    def __init__(self, in_features: int, out_features: int,
                 scale: float = 30.):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.scale = scale
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * F.normalize(x, dim=-1) @ F.normalize(
            self.weight, dim=0)

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, '
                f'out_features={self.out_features}, scale={self.scale}')
