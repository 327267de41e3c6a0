# Copyright (c) mmlt contributors. All rights reserved.
"""tools/model_converters/dino_to_mmlt.py: key mapping on the official DINO
ViT-B/16 key names and shapes (fixture), and a tiny converted ViT whose
output equals a plain ViT forward written here with DINO's key names."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models import VisionTransformer

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / 'tests/data/dino_vitb16_state_dict_shapes.json'
spec = importlib.util.spec_from_file_location(
    'dino_to_mmlt', REPO / 'tools/model_converters/dino_to_mmlt.py')
conv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conv)


def test_vitb16_keys_and_shapes_map_onto_mmpretrain():
    shapes = json.loads(FIXTURE.read_text())
    assert len(shapes) == 150 and shapes['pos_embed'] == [1, 197, 768]
    # torch.empty does not touch the memory of the 86M parameters
    dino = {k: torch.empty(v) for k, v in shapes.items()}
    out = conv.convert_dino_vit(dino)
    model = VisionTransformer(
        arch='b', img_size=224, patch_size=16, out_type='cls_token')
    ref = model.state_dict()
    assert set(out) == set(ref)
    for key, value in out.items():
        assert tuple(value.shape) == tuple(ref[key].shape), key
    assert out['layers.11.ffn.layers.0.0.weight'] is \
        dino['blocks.11.mlp.fc1.weight']
    assert 'ln1.weight' in out and 'layers.0.ln2.bias' in out


def test_training_checkpoint_is_unwrapped():
    ckpt = {
        'teacher': {
            'backbone.cls_token': torch.zeros(1, 1, 4),
            'head.mlp.0.weight': torch.zeros(2, 2),
        },
        'student': {
            'module.backbone.cls_token': torch.ones(1, 1, 4)
        },
    }
    assert list(conv.unwrap_dino_checkpoint(ckpt)) == ['cls_token']
    student = conv.unwrap_dino_checkpoint(ckpt, 'student')
    assert student['cls_token'].sum() == 4
    assert list(conv.convert_dino_vit(student, prefix='backbone.')) == \
        ['backbone.cls_token']
    with pytest.raises(KeyError, match="'blocks.0.ls1.gamma'"):
        conv.convert_dino_vit({'blocks.0.ls1.gamma': torch.zeros(1)})


def _dino_forward(sd, x, depth, heads):
    """A plain ViT forward in DINO's layout (pre-norm blocks, final norm,
    CLS token), written from the architecture, on DINO key names."""
    b = x.shape[0]
    t = F.conv2d(
        x,
        sd['patch_embed.proj.weight'],
        sd['patch_embed.proj.bias'],
        stride=sd['patch_embed.proj.weight'].shape[-1])
    t = t.flatten(2).transpose(1, 2)
    t = torch.cat([sd['cls_token'].expand(b, -1, -1), t], 1) + sd['pos_embed']
    dim = t.shape[-1]
    for i in range(depth):
        p = f'blocks.{i}.'
        h = F.layer_norm(t, (dim, ), sd[p + 'norm1.weight'],
                         sd[p + 'norm1.bias'], 1e-6)
        qkv = F.linear(h, sd[p + 'attn.qkv.weight'], sd[p + 'attn.qkv.bias'])
        q, k, v = qkv.reshape(b, -1, 3, heads,
                              dim // heads).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1) * (dim // heads)**-0.5).softmax(-1)
        h = (att @ v).transpose(1, 2).reshape(b, -1, dim)
        t = t + F.linear(h, sd[p + 'attn.proj.weight'],
                         sd[p + 'attn.proj.bias'])
        h = F.layer_norm(t, (dim, ), sd[p + 'norm2.weight'],
                         sd[p + 'norm2.bias'], 1e-6)
        h = F.gelu(
            F.linear(h, sd[p + 'mlp.fc1.weight'], sd[p + 'mlp.fc1.bias']))
        t = t + F.linear(h, sd[p + 'mlp.fc2.weight'], sd[p + 'mlp.fc2.bias'])
    t = F.layer_norm(t, (dim, ), sd['norm.weight'], sd['norm.bias'], 1e-6)
    return t[:, 0]


def test_converted_tiny_vit_matches_a_plain_dino_forward(tmp_path):
    torch.manual_seed(0)
    model = VisionTransformer(
        arch=dict(
            embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
        img_size=32,
        patch_size=8,
        out_type='cls_token')
    # random DINO-named weights of the tiny architecture
    dino = {}
    for key in json.loads(FIXTURE.read_text()):
        if key.startswith('blocks.') and int(key.split('.')[1]) >= 2:
            continue
        dino[key] = None
    ref_shapes = model.state_dict()
    converted_names = conv.convert_dino_vit({k: torch.zeros(1) for k in dino})
    for (dino_key, _), mm_key in zip(dino.items(), converted_names):
        dino[dino_key] = torch.randn(ref_shapes[mm_key].shape) * 0.2
    src = tmp_path / 'dino.pth'
    dst = tmp_path / 'mmlt.pth'
    torch.save(dino, src)
    subprocess.run([
        sys.executable, 'tools/model_converters/dino_to_mmlt.py',
        str(src),
        str(dst)
    ],
                   cwd=REPO,
                   check=True,
                   capture_output=True)
    state = torch.load(dst, weights_only=True)['state_dict']
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        ours = model(x)[0]
        ref = _dino_forward(dino, x, depth=2, heads=2)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
