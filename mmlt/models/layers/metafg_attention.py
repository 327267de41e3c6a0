# Copyright (c) mmlt contributors. All rights reserved.
"""Multi-head self-attention with a relative position bias over a patch grid
plus extra (CLS and meta) tokens, as in MetaFormer (Diao et al.,
*MetaFormer: A Unified Meta Framework for Fine-Grained Recognition*,
arXiv 2203.02751).

Bias table layout (per head), for an ``h x w`` patch grid:

- rows ``0 .. (2h-1)(2w-1)-1``: one entry per relative offset
  ``(dh, dw)``, ``dh in [-(h-1), h-1]``, ``dw in [-(w-1), w-1]``, at row
  ``(dh + h - 1) * (2w - 1) + (dw + w - 1)`` (the Swin layout);
- row ``(2h-1)(2w-1)``: the single entry shared by every pair that involves
  an extra token (extra-extra, extra-patch and patch-extra).

The official code pads the index with 0 for the extra tokens, so they share
row 0 with the offset ``(-(h-1), -(w-1))`` and its last row is unused; its
loader then resizes rows ``1..`` as if row 0 were the extra-token entry,
which shifts the grid by one row. ``tools/model_converters/metafg_to_mmlt.py``
maps that layout to this one exactly (grid rows kept, row 0 copied to the
extra-token row); the resize below treats the grid rows as the grid.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.utils import MultiheadAttention

__all__ = [
    'MetaFGAttention', 'metafg_relative_position_index',
    'resize_metafg_bias_table'
]


def _pair(size) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)


def metafg_relative_position_index(grid_size,
                                   num_extra: int = 0) -> torch.Tensor:
    """Index into the bias table for ``num_extra`` extra tokens followed by
    the ``h x w`` patch tokens (row-major).

    Args:
        grid_size (int | tuple[int, int]): ``(h, w)`` of the patch grid.
        num_extra (int): Number of extra tokens in front of the patches.

    Returns:
        torch.Tensor: ``(num_extra + h*w, num_extra + h*w)`` int64; patch
        pairs index their offset row, every pair with an extra token indexes
        row ``(2h-1)(2w-1)``.
    """
    h, w = _pair(grid_size)
    coords = torch.stack(
        torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij'))
    coords = coords.flatten(1)  # 2, h*w
    rel = coords[:, :, None] - coords[:, None, :]  # 2, h*w, h*w
    index = (rel[0] + h - 1) * (2 * w - 1) + (rel[1] + w - 1)
    extra_row = (2 * h - 1) * (2 * w - 1)
    if num_extra:
        index = F.pad(index, (num_extra, 0, num_extra, 0), value=extra_row)
    return index.long()


def resize_metafg_bias_table(table: torch.Tensor, src_size,
                             dst_size) -> torch.Tensor:
    """Resize a bias table (layout above) from an ``src_size`` grid to a
    ``dst_size`` grid: the ``(2h-1) x (2w-1)`` offset grid is resized
    bicubically (``align_corners=False``), the extra-token row is kept.

    Args:
        table (torch.Tensor): ``((2h-1)(2w-1) + 1, num_heads)``.
        src_size (int | tuple[int, int]): Patch grid ``(h, w)`` of
            ``table``.
        dst_size (int | tuple[int, int]): Target patch grid ``(h', w')``.

    Returns:
        torch.Tensor: ``((2h'-1)(2w'-1) + 1, num_heads)``.
    """
    sh, sw = _pair(src_size)
    dh, dw = _pair(dst_size)
    num_grid = (2 * sh - 1) * (2 * sw - 1)
    if table.shape[0] != num_grid + 1:
        raise ValueError(
            f'A bias table for a {sh}x{sw} grid has {num_grid + 1} rows, '
            f'got {tuple(table.shape)}.')
    if (sh, sw) == (dh, dw):
        return table
    grid, extra = table[:num_grid], table[num_grid:]
    grid = grid.reshape(1, 2 * sh - 1, 2 * sw - 1, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(
        grid.float(),
        size=(2 * dh - 1, 2 * dw - 1),
        mode='bicubic',
        align_corners=False).to(table.dtype)
    grid = grid.permute(0, 2, 3, 1).reshape((2 * dh - 1) * (2 * dw - 1), -1)
    return torch.cat([grid, extra], dim=0)


def _grid_from_rows(num_rows: int) -> int:
    """Side ``h`` of a square grid whose table has ``num_rows`` rows."""
    side = int(round((num_rows - 1)**0.5))
    if side * side + 1 != num_rows or side % 2 == 0:
        raise ValueError(f'A relative position bias table with {num_rows} '
                         'rows does not belong to a square grid '
                         '((2h-1)^2 + 1 rows).')
    return (side + 1) // 2


class MetaFGAttention(MultiheadAttention):
    """Self-attention over ``[extra tokens, h*w patches]`` with MetaFormer's
    relative position bias (layout in the module docstring).

    The bias is added to the attention logits through
    ``scaled_dot_product_attention``'s ``attn_mask``. Inputs on another grid
    than ``grid_size`` use the table resized to that grid (bicubic, as when
    fine-tuning at another resolution). A checkpoint table of another square
    grid is resized when loaded.

    Args:
        embed_dims (int): Token dimension.
        num_heads (int): Number of heads.
        grid_size (int | tuple[int, int]): Patch grid ``(h, w)`` the table
            is built for (``img_size // 16`` or ``img_size // 32``).
        qkv_bias (bool): Bias of the qkv projection. MetaFormer has none.
            Defaults to False.
        **kwargs: Other arguments of
            :class:`mmpretrain.models.utils.MultiheadAttention`.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 grid_size,
                 qkv_bias: bool = False,
                 **kwargs):
        super().__init__(
            embed_dims=embed_dims,
            num_heads=num_heads,
            qkv_bias=qkv_bias,
            **kwargs)
        self.grid_size = _pair(grid_size)
        h, w = self.grid_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * h - 1) * (2 * w - 1) + 1, num_heads))
        self.register_buffer(
            'relative_position_index',
            metafg_relative_position_index(self.grid_size),
            persistent=False)
        self._index_cache = {}

    def init_weights(self) -> None:
        super().init_weights()
        trunc_normal_(self.relative_position_bias_table, std=.02)

    def relative_position_bias(self, grid_size: Sequence[int],
                               num_extra: int) -> torch.Tensor:
        """``(num_heads, N, N)`` bias for ``num_extra`` extra tokens and a
        ``grid_size`` patch grid, ``N = num_extra + h*w``."""
        grid_size = _pair(grid_size)
        table = self.relative_position_bias_table
        if grid_size == self.grid_size:
            index = self.relative_position_index
        else:
            table = resize_metafg_bias_table(table, self.grid_size, grid_size)
            index = self._index_cache.get(grid_size)
            if index is None or index.device != table.device:
                index = metafg_relative_position_index(grid_size).to(
                    table.device)
                self._index_cache[grid_size] = index
        extra_row = table.shape[0] - 1
        if num_extra:
            index = F.pad(index, (num_extra, 0, num_extra, 0), value=extra_row)
        n = index.shape[0]
        return table[index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1)

    def forward(self, x: torch.Tensor, grid_size: Sequence[int]):
        """
        Args:
            x (torch.Tensor): ``(B, num_extra + h*w, C)``, extra tokens first.
            grid_size (tuple[int, int]): ``(h, w)`` of the patch tokens.
        """
        B, N, _ = x.shape
        h, w = _pair(grid_size)
        num_extra = N - h * w
        if num_extra < 0:
            raise ValueError(f'{N} tokens cannot hold a {h}x{w} patch grid.')
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads,
                                  self.head_dims).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        bias = self.relative_position_bias((h, w), num_extra).to(q.dtype)
        attn_drop = self.attn_drop if self.training else 0.
        x = self.scaled_dot_product_attention(
            q, k, v, attn_mask=bias.unsqueeze(0), dropout_p=attn_drop)
        x = x.transpose(1, 2).reshape(B, N, self.embed_dims)
        x = self.proj(x)
        return self.out_drop(self.gamma1(self.proj_drop(x)))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        # A table trained at another resolution is resized to this grid.
        key = prefix + 'relative_position_bias_table'
        table: Optional[torch.Tensor] = state_dict.get(key)
        if table is not None and \
                table.shape != self.relative_position_bias_table.shape and \
                table.ndim == 2 and \
                table.shape[1] == self.relative_position_bias_table.shape[1]:
            src = _grid_from_rows(table.shape[0])
            state_dict[key] = resize_metafg_bias_table(table, src,
                                                       self.grid_size)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
