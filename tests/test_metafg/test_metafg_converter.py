# Copyright (c) mmlt contributors. All rights reserved.
"""tools/model_converters/metafg_to_mmlt.py on the official key names."""
import importlib.util
import sys
import types
from pathlib import Path

import pytest
import torch
from mmengine.registry import DefaultScope

import mmlt  # noqa: F401
from mmlt.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).with_name('data') / 'metafg_meta_0_official_keys.txt'


def converter():
    path = REPO / 'tools' / 'model_converters' / 'metafg_to_mmlt.py'
    spec = importlib.util.spec_from_file_location('metafg_to_mmlt', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_state():
    """Random tensors under the official MetaFG_meta_0 names and shapes
    (224 px, meta_dims [4, 3], 1000 classes), listed in the fixture."""
    g = torch.Generator().manual_seed(0)
    state = {}
    for line in FIXTURE.read_text().splitlines():
        name, shape = line.split(' ', 1)
        shape = tuple(int(s) for s in shape.split(',') if s)
        if name.endswith(('relative_position_index', 'num_batches_tracked')):
            state[name] = torch.zeros(shape, dtype=torch.long)
        else:
            state[name] = torch.randn(shape, generator=g)
    return state


def mmlt_model():
    cfg = dict(
        type='MetaFGClassifier',
        backbone=dict(type='MetaFG', arch='0', img_size=224, meta_dims=(4, 3)),
        head=dict(
            type='MetaFGHead',
            num_classes=1000,
            in_channels=768,
            cls1_channels=384))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def test_every_official_key_maps_onto_mmlt():
    conv = converter()
    official = official_state()
    state = conv.convert_metafg(official)
    model = mmlt_model()
    model.load_state_dict(state, strict=True)  # same keys and shapes
    # spot checks of the mapping
    assert torch.equal(state['backbone.stem.2.bn.running_var'],
                       official['bn1.running_var'])
    assert torch.equal(state['backbone.stage2.1.se.conv1.conv.weight'],
                       official['stage_2.1._se_reduce.weight'])
    assert torch.equal(state['backbone.stage3.patch_embed.projection.bias'],
                       official['stage_3.0.patch_embed.proj.bias'])
    assert torch.equal(state['backbone.stage4.blocks.1.ffn.layers.1.weight'],
                       official['stage_4.1.mlp.fc2.weight'])
    assert torch.equal(state['backbone.stage4.meta_proj.1.3.norm2.weight'],
                       official['meta_2_head_2.3.norm_fn2.weight'])
    assert torch.equal(state['backbone.stage3.cls_token'],
                       official['cls_token_1'])
    assert torch.equal(state['head.cls1_fc.2.weight'],
                       official['cl_1_fc.0.fc2.weight'])
    assert torch.equal(state['head.fc.bias'], official['head.bias'])
    # the bias table: grid rows kept, official row 0 -> extra-token row
    old = official['stage_3.2.attn.relative_position_bias_table']
    new = state['backbone.stage3.blocks.2.attn.relative_position_bias_table']
    assert old.shape == new.shape == (27 * 27 + 1, 8)
    assert torch.equal(new[:-1], old[:-1]) and torch.equal(new[-1], old[0])
    assert not any('relative_position_index' in k for k in state)


def test_bias_convention_equal_to_official_at_same_size():
    """The official index pads extra tokens with 0; mmlt's with the last
    row. After conversion the (extra + grid)^2 bias matrices agree."""
    conv = converter()
    from mmlt.models.layers import MetaFGAttention
    h, extra = 3, 3
    table = torch.randn((2 * h - 1)**2 + 1, 2)
    coords = torch.stack(
        torch.meshgrid(torch.arange(h), torch.arange(h),
                       indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    index = (rel[..., 0] + h - 1) * (2 * h - 1) + rel[..., 1] + h - 1
    index = torch.nn.functional.pad(index, (extra, 0, extra, 0))  # with 0
    n = h * h + extra
    official = table[index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1)
    attn = MetaFGAttention(4, 2, grid_size=h)
    with torch.no_grad():
        attn.relative_position_bias_table.copy_(conv.convert_bias_table(table))
    assert torch.equal(attn.relative_position_bias((h, h), extra), official)


def test_options_prefix_and_unknown_keys():
    conv = converter()
    official = {'module.' + k: v for k, v in official_state().items()}
    state = conv.convert_metafg(official, drop_head=True, drop_meta=True)
    assert not any(k.startswith('head.') for k in state)
    assert not any('meta_proj' in k for k in state)
    assert 'backbone.stage3.cls_token' in state
    with pytest.raises(KeyError, match=r"Not MetaFormer keys: \['foo.w'\]"):
        conv.convert_metafg({'foo.w': torch.zeros(1)})


def test_safe_loading_of_training_checkpoint(tmp_path, monkeypatch):
    """A training checkpoint with a pickled yacs config loads with
    weights_only=True (the config becomes a plain dict and is dropped)."""
    conv = converter()
    yacs = types.ModuleType('yacs')
    config = types.ModuleType('yacs.config')

    class CfgNode(dict):  # like yacs: a dict with instance attributes

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.__dict__['__immutable__'] = False

    CfgNode.__module__ = 'yacs.config'
    CfgNode.__qualname__ = 'CfgNode'
    config.CfgNode = CfgNode
    yacs.config = config
    monkeypatch.setitem(sys.modules, 'yacs', yacs)
    monkeypatch.setitem(sys.modules, 'yacs.config', config)
    cfg = CfgNode(MODEL=CfgNode(NAME='MetaFG_meta_0'))
    path = tmp_path / 'ckpt.pth'
    torch.save(
        {
            'model': {
                'cls_token_1': torch.ones(1, 1, 2)
            },
            'config': cfg,
            'epoch': 3
        }, path)
    monkeypatch.delitem(sys.modules, 'yacs.config')
    monkeypatch.delitem(sys.modules, 'yacs')
    state = conv.load_official(str(path))
    assert list(state) == ['cls_token_1']
    evil = tmp_path / 'evil.pth'
    torch.save({'model': {}, 'x': Path('.')}, evil)
    with pytest.raises(Exception, match='Weights only load failed'):
        conv.load_official(str(evil))
