# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official MetaFormer checkpoint (dqshuai/MetaFormer,
``metafg_{0,1,2}_{1k,21k,inat21}_{224,384}.pth``) to mmlt's ``MetaFG``
backbone + ``MetaFGHead`` layout.

The relative position bias tables are re-laid out: the official code pads
the extra (CLS / meta) tokens with index 0, sharing row 0 with the grid
offset ``(-(h-1), -(w-1))``; mmlt gives them their own last row. The
converted table keeps the grid rows and copies row 0 to the extra-token row,
so the converted model computes exactly the official function at the
checkpoint's resolution (its unused last row is dropped). At another
resolution mmlt resizes the grid rows, see ``configs/metafg/README.md``.

Usage::

    python tools/model_converters/metafg_to_mmlt.py \\
        checkpoints/metafg_0_1k_224.pth checkpoints/metafg_0_1k_224_mmlt.pth

``--drop-head`` and ``--drop-meta`` remove the classifier and the meta
projections, as the official fine-tuning loader does by default. Loading is
safe (``torch.load(weights_only=True)``); a pickled ``yacs`` config inside a
training checkpoint is read as a plain dict and discarded.
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict

import torch

__all__ = ['convert_metafg', 'convert_bias_table', 'load_official']

_STEM = {
    'stage_0.0.': 'backbone.stem.0.conv.',
    'stage_0.1.': 'backbone.stem.0.bn.',
    'stage_0.3.': 'backbone.stem.1.conv.',
    'stage_0.4.': 'backbone.stem.1.bn.',
    'stage_0.6.': 'backbone.stem.2.conv.',
    'bn1.': 'backbone.stem.2.bn.',
}
_MBCONV = {
    '_expand_conv.': 'expand_conv.conv.',
    '_bn0.': 'expand_conv.bn.',
    '_depthwise_conv.': 'depthwise_conv.conv.',
    '_bn1.': 'depthwise_conv.bn.',
    '_se_reduce.': 'se.conv1.conv.',
    '_se_expand.': 'se.conv2.conv.',
    '_project_conv.': 'linear_conv.conv.',
    '_bn2.': 'linear_conv.bn.',
}
_BLOCK = {
    'norm1.': 'ln1.',
    'norm2.': 'ln2.',
    'attn.qkv.': 'attn.qkv.',
    'attn.proj.': 'attn.proj.',
    'attn.relative_position_bias_table': 'attn.relative_position_bias_table',
    'mlp.fc1.': 'ffn.layers.0.0.',
    'mlp.fc2.': 'ffn.layers.1.',
}
_RESNORM = {
    'w1.': 'w1.',
    'w2.': 'w2.',
    'norm_fn1.': 'norm1.',
    'norm_fn2.': 'norm2.'
}
_HEAD = {
    'norm_1.': 'head.norm_1.',
    'norm_2.': 'head.norm_2.',
    'norm.': 'head.norm.',
    'cl_1_fc.0.fc1.': 'head.cls1_fc.0.',
    'cl_1_fc.0.fc2.': 'head.cls1_fc.2.',
    'cl_1_fc.1.': 'head.cls1_fc.3.',
    'aggregate.': 'head.aggregate.',
    'head.': 'head.fc.',
}
_DROPPED = ('relative_position_index', 'point_coord')


def convert_bias_table(table: torch.Tensor) -> torch.Tensor:
    """Official ``(L + 1, heads)`` table (extra tokens on row 0, row ``L``
    unused) to mmlt's (grid rows ``0..L-1``, extra tokens on row ``L``)."""
    return torch.cat([table[:-1], table[:1]], dim=0)


def _map_prefix(rest: str, table: Dict[str, str]):
    for old, new in table.items():
        if rest.startswith(old):
            return new + rest[len(old):]
    return None


def _map_key(key: str):
    for old, new in _STEM.items():
        if key.startswith(old):
            return new + key[len(old):]
    m = re.match(r'stage_([12])\.(\d+)\.(.*)', key)
    if m:
        rest = _map_prefix(m.group(3), _MBCONV)
        return None if rest is None else \
            f'backbone.stage{m.group(1)}.{m.group(2)}.{rest}'
    m = re.match(r'stage_([34])\.(\d+)\.(.*)', key)
    if m:
        stage, block, rest = m.groups()
        if rest.startswith('patch_embed.'):
            if block != '0':
                return None
            rest = _map_prefix(rest[len('patch_embed.'):], {
                'proj.': 'projection.',
                'norm.': 'norm.'
            })
            return None if rest is None else \
                f'backbone.stage{stage}.patch_embed.{rest}'
        rest = _map_prefix(rest, _BLOCK)
        return None if rest is None else \
            f'backbone.stage{stage}.blocks.{block}.{rest}'
    m = re.match(r'cls_token_([12])$', key)
    if m:
        return f'backbone.stage{int(m.group(1)) + 2}.cls_token'
    m = re.match(r'meta_(\d+)_head_([12])\.(\d)\.(.*)', key)
    if m:
        group, which, layer, rest = m.groups()
        if layer == '3':
            rest = _map_prefix(rest, _RESNORM)
            if rest is None:
                return None
        elif layer not in ('0', '2'):
            return None
        return (f'backbone.stage{int(which) + 2}.meta_proj.'
                f'{int(group) - 1}.{layer}.{rest}')
    return _map_prefix(key, _HEAD)


def convert_metafg(
        official: Dict[str, torch.Tensor],
        drop_head: bool = False,
        drop_meta: bool = False) -> 'OrderedDict[str, torch.Tensor]':
    """Map an official MetaFG / MetaFG_Meta state dict to mmlt's keys.

    Raises:
        KeyError: for keys the official models do not have (all named).
    """
    out, unknown = OrderedDict(), []
    for key, value in official.items():
        if key.startswith('module.'):
            key = key[len('module.'):]
        if key.endswith(_DROPPED):
            continue
        new = _map_key(key)
        if new is None:
            unknown.append(key)
            continue
        if drop_head and new.startswith('head.'):
            continue
        if drop_meta and '.meta_proj.' in new:
            continue
        if new.endswith('relative_position_bias_table'):
            value = convert_bias_table(value)
        out[new] = value
    if unknown:
        raise KeyError(f'Not MetaFormer keys: {unknown[:10]}'
                       f'{" ..." if len(unknown) > 10 else ""}')
    return out


def _yacs_placeholder():
    """Stands for ``yacs.config.CfgNode`` when unpickling with
    ``weights_only``: every node becomes an ``OrderedDict`` (whose items and
    attributes the safe unpickler may set); nothing of yacs is run."""

    class CfgNode(dict):

        def __new__(cls, *args, **kwargs):
            return OrderedDict()

    CfgNode.__module__ = 'yacs.config'
    CfgNode.__qualname__ = 'CfgNode'
    return CfgNode


def load_official(path: str) -> Dict[str, torch.Tensor]:
    """The model state dict of an official checkpoint (``model``,
    ``state_dict_ema`` or the bare dict), loaded with ``weights_only``."""
    with torch.serialization.safe_globals([_yacs_placeholder()]):
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(ckpt, dict):
        raise TypeError(f'{path}: expected a dict checkpoint, got '
                        f'{type(ckpt).__name__}.')
    for key in ('model', 'state_dict_ema', 'state_dict'):
        if key in ckpt and isinstance(ckpt[key], dict):
            return ckpt[key]
    return ckpt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output mmlt checkpoint')
    parser.add_argument(
        '--drop-head', action='store_true', help='drop the classifier')
    parser.add_argument(
        '--drop-meta', action='store_true', help='drop the meta projections')
    args = parser.parse_args()
    state = convert_metafg(
        load_official(args.src),
        drop_head=args.drop_head,
        drop_meta=args.drop_meta)
    torch.save(dict(state_dict=state, meta=dict(source=args.src)), args.dst)
    groups = sorted({
        int(k.split('.')[3])
        for k in state if '.meta_proj.' in k and k.startswith('backbone.')
    })
    print(f'Converted {len(state)} tensors from {args.src} to {args.dst} '
          f'(meta groups: {len(groups)}, head: '
          f'{"head.fc.weight" in state}).')


if __name__ == '__main__':
    main()
