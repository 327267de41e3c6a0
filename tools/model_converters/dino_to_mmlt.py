# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official DINO ViT checkpoint to mmlt / mmpretrain keys.

DINO (Caron et al., ICCV 2021, github.com/facebookresearch/dino) ships
timm-style ViT weights, e.g. ``dino_vitbase16_pretrain.pth`` (a plain state
dict) or a training checkpoint with ``teacher`` / ``student`` entries. The
output loads into mmpretrain's ``VisionTransformer`` (and mmlt's
``PartialFinetuneViT``) used by the P²OT / SP²OT configs::

    python tools/model_converters/dino_to_mmlt.py \\
        dino_vitbase16_pretrain.pth checkpoints/dino_vitb16_mmlt.pth

The checkpoint is read with ``torch.load(..., weights_only=True)``; nothing
is downloaded.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict

import torch

# DINO (timm) key pattern -> mmpretrain VisionTransformer key
_RULES = [
    (r'^cls_token$', 'cls_token'),
    (r'^pos_embed$', 'pos_embed'),
    (r'^patch_embed\.proj\.(weight|bias)$', r'patch_embed.projection.\1'),
    (r'^blocks\.(\d+)\.norm1\.(weight|bias)$', r'layers.\1.ln1.\2'),
    (r'^blocks\.(\d+)\.norm2\.(weight|bias)$', r'layers.\1.ln2.\2'),
    (r'^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$', r'layers.\1.attn.qkv.\2'),
    (r'^blocks\.(\d+)\.attn\.proj\.(weight|bias)$', r'layers.\1.attn.proj.\2'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.(weight|bias)$',
     r'layers.\1.ffn.layers.0.0.\2'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.(weight|bias)$',
     r'layers.\1.ffn.layers.1.\2'),
    (r'^norm\.(weight|bias)$', r'ln1.\1'),
]


def unwrap_dino_checkpoint(ckpt: dict, which: str = 'teacher') -> dict:
    """The backbone state dict of a DINO checkpoint (plain or training).

    A training checkpoint holds ``teacher`` and ``student`` networks wrapped
    as ``module.backbone.*`` (student) / ``backbone.*``; their projection
    heads (``head.*``) are dropped.
    """
    if which in ckpt and isinstance(ckpt[which], dict):
        ckpt = ckpt[which]
    elif 'state_dict' in ckpt and isinstance(ckpt['state_dict'], dict):
        ckpt = ckpt['state_dict']
    out = OrderedDict()
    for key, value in ckpt.items():
        for prefix in ('module.', 'backbone.'):
            if key.startswith(prefix):
                key = key[len(prefix):]
        if key.startswith('head.'):
            continue  # DINO projection head, not part of the ViT
        out[key] = value
    return out


def convert_dino_vit(state_dict: Dict[str, torch.Tensor],
                     prefix: str = '') -> 'OrderedDict[str, torch.Tensor]':
    """Rename DINO ViT keys to mmpretrain ``VisionTransformer`` keys.

    The tensors are kept as they are (both fuse q, k, v in one ``qkv``
    linear layer). An unknown key raises a ``KeyError`` naming it.

    Args:
        state_dict (dict): DINO ViT state dict (see
            :func:`unwrap_dino_checkpoint`).
        prefix (str): Prepended to every output key, e.g. ``'backbone.'``
            for a whole-model checkpoint. Defaults to ``''`` (for a
            backbone ``init_cfg``).
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        for pattern, repl in _RULES:
            if re.match(pattern, key):
                out[prefix + re.sub(pattern, repl, key)] = value
                break
        else:
            raise KeyError(f'dino_to_mmlt: unexpected DINO ViT key {key!r}.')
    return out


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert a DINO ViT checkpoint to mmlt/mmpretrain keys.')
    parser.add_argument('src', help='DINO checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--which',
        default='teacher',
        help='network of a DINO training checkpoint (teacher or student)')
    parser.add_argument(
        '--prefix',
        default='',
        help="prefix of the output keys ('backbone.' for load_from)")
    return parser.parse_args()


def main():
    args = parse_args()
    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    weights = convert_dino_vit(
        unwrap_dino_checkpoint(ckpt, args.which), prefix=args.prefix)
    dst_dir = osp.dirname(osp.abspath(args.dst))
    if not osp.isdir(dst_dir):
        import os
        os.makedirs(dst_dir, exist_ok=True)
    torch.save(dict(state_dict=weights, meta=dict(source=args.src)), args.dst)
    print(f'dino_to_mmlt: {len(weights)} tensors -> {args.dst}')


if __name__ == '__main__':
    main()
