# Copyright (c) mmlt contributors. All rights reserved.
import torch
from mmpretrain.models.utils import MultiheadAttention


class FastMultiheadAttention(MultiheadAttention):
    """mmpretrain's :class:`MultiheadAttention` with timm's q, k, v split.

    The host forward splits the fused qkv projection with ``qkv[0], qkv[1],
    qkv[2]``; in the backward pass each index builds a zero-filled tensor of
    the full qkv size and the three are summed. This subclass splits with
    ``qkv.unbind(0)`` (timm's ``Attention``), whose backward stacks the three
    gradients once. Everything else is the host's: the qkv bias, the
    ``scaled_dot_product_attention`` the host chose in ``__init__``
    (``qk_scale`` included), the projection, ``proj_drop``, the layer scale
    ``gamma1``, ``out_drop`` and ``v_shortcut``. The outputs and gradients
    are the host's up to float rounding, the parameters and state-dict keys
    are the same, so a built host module can be re-classed in place
    (``module.__class__ = FastMultiheadAttention``, as
    :func:`mmlt.models.backbones.use_fast_vit_layers` does).

    Args:
        **kwargs: See :class:`mmpretrain.models.utils.MultiheadAttention`
            (``embed_dims``, ``num_heads``, ``qkv_bias``, ...).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The host's forward with ``unbind`` for the q, k, v split.

        Args:
            x (torch.Tensor): Tokens, shape ``(B, N, input_dims)``.

        Returns:
            torch.Tensor: Shape ``(B, N, embed_dims)``.
        """
        B, N, _ = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads,
                                  self.head_dims).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)

        attn_drop = self.attn_drop if self.training else 0.
        x = self.scaled_dot_product_attention(q, k, v, dropout_p=attn_drop)
        x = x.transpose(1, 2).reshape(B, N, self.embed_dims)

        x = self.proj(x)
        x = self.out_drop(self.gamma1(self.proj_drop(x)))

        if self.v_shortcut:
            x = v.squeeze(1) + x
        return x
