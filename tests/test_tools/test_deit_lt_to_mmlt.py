# Copyright (c) mmlt contributors. All rights reserved.
"""tools/model_converters/deit_lt_to_mmlt.py: the key mapping on the official
DeiT-LT student's key names and shapes (``tests/data/official_keys``, read
off ``deit_base_distilled_patch16_224`` of val-iisc/DeiT-LT), the logits of
a tiny timm distilled ViT (the official model's layout) converted to mmlt,
and the converter script (``'model'`` / ``--ema``, safe loading)."""
import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from mmlt.utils.official_checkpoints import convert_checkpoint, convert_deit_lt

REPO = Path(__file__).resolve().parents[2]
FIXTURE = (
    REPO / 'tests/data/official_keys' /
    'deit_lt_base_distilled_patch16_224.txt')


def official_shapes():
    shapes = {}
    for line in FIXTURE.read_text().splitlines():
        if not line.startswith('#'):
            key, *shape = line.split()
            shapes[key] = () if shape == ['-'] else tuple(map(int, shape))
    return shapes


def deit_lt_student(arch='deit-base', num_classes=100, **backbone):
    """An mmlt DeiT-LT student without its teacher (``arch``: a name or a
    dict of mmpretrain's ``VisionTransformer``)."""
    dims = arch['embed_dims'] if isinstance(arch, dict) else 768
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='DistilledVisionTransformer', arch=arch, **backbone),
            head=dict(
                type='DeiTLTHead', num_classes=num_classes, in_channels=dims)))


def test_deit_b_keys_and_shapes_map_onto_mmlt():
    shapes = official_shapes()
    assert len(shapes) == 155 and shapes['pos_embed'] == (1, 198, 768)
    # expanded scalars: the 86M parameters take no memory; value = index
    official = {
        key: torch.tensor(float(i)).expand(shape)
        for i, (key, shape) in enumerate(shapes.items())
    }
    converted, dropped = convert_deit_lt({
        f'module.{k}': v
        for k, v in official.items()
    })
    assert dropped == []
    with torch.device('meta'):  # shapes only
        ref = deit_lt_student(img_size=224, patch_size=16).state_dict()
    assert set(converted) == set(ref)
    for key, value in converted.items():
        assert tuple(value.shape) == tuple(ref[key].shape), key
    for old, new in (('dist_token', 'backbone.dist_token'),
                     ('patch_embed.proj.weight',
                      'backbone.patch_embed.projection.weight'),
                     ('blocks.11.attn.qkv.bias',
                      'backbone.layers.11.attn.qkv.bias'),
                     ('blocks.3.mlp.fc1.weight',
                      'backbone.layers.3.ffn.layers.0.0.weight'),
                     ('blocks.0.mlp.fc2.bias',
                      'backbone.layers.0.ffn.layers.1.bias'),
                     ('blocks.7.norm2.weight', 'backbone.layers.7.ln2.weight'),
                     ('norm.bias',
                      'backbone.ln1.bias'), ('head_dist.weight',
                                             'head.layers.head_dist.weight')):
        assert converted[new] is official[old]


def test_unknown_keys_are_refused():
    with pytest.raises(ValueError, match=r"'blocks\.0\.ls1\.gamma'"):
        convert_deit_lt({
            'cls_token': torch.zeros(1, 1, 4),
            'blocks.0.ls1.gamma': torch.zeros(4)
        })


def test_tiny_timm_distilled_vit_logits_equal():
    """timm's ``VisionTransformerDistilled`` has the official key names and
    the same forward (the official model only swaps in its own attention
    and patch embedding modules, with the same parameters)."""
    pytest.importorskip(
        'timm', reason='timm (requirements/optional.txt) builds the model')
    from timm.models.deit import VisionTransformerDistilled
    torch.manual_seed(0)
    dims, depth, heads, classes = 32, 2, 2, 7
    timm_model = VisionTransformerDistilled(
        img_size=16,
        patch_size=4,
        embed_dim=dims,
        depth=depth,
        num_heads=heads,
        num_classes=classes,
        qkv_bias=True).double().eval()
    with torch.no_grad():  # non-trivial LayerNorms and biases
        for name, param in timm_model.named_parameters():
            if name.endswith(('norm1.weight', 'norm2.weight', 'norm.weight')):
                param.uniform_(0.5, 1.5)
            elif name.endswith('bias'):
                param.uniform_(-0.5, 0.5)
    arch = dict(
        embed_dims=dims,
        num_layers=depth,
        num_heads=heads,
        feedforward_channels=4 * dims)
    ours = deit_lt_student(
        arch, classes, img_size=16, patch_size=4).double().eval()
    converted, _ = convert_deit_lt(timm_model.state_dict())
    ours.load_state_dict(converted, strict=True)
    x = torch.randn(3, 3, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        tokens = timm_model.forward_features(x)
        ref_cls = timm_model.head(tokens[:, 0])
        ref_dist = timm_model.head_dist(tokens[:, 1])
        cls_score, dist_score = ours.head.forward_branches(
            ours.extract_feat(x))
        mean = ours(x, mode='tensor')
    torch.testing.assert_close(cls_score, ref_cls, rtol=0, atol=1e-12)
    torch.testing.assert_close(dist_score, ref_dist, rtol=0, atol=1e-12)
    torch.testing.assert_close(mean, timm_model(x), rtol=0, atol=1e-12)


def _tiny_official_state(seed):
    gen = torch.Generator().manual_seed(seed)
    shapes = {
        'cls_token': (1, 1, 8),
        'dist_token': (1, 1, 8),
        'pos_embed': (1, 6, 8),
        'patch_embed.proj.weight': (8, 3, 4, 4),
        'patch_embed.proj.bias': (8, ),
        'blocks.0.norm1.weight': (8, ),
        'blocks.0.norm1.bias': (8, ),
        'blocks.0.attn.qkv.weight': (24, 8),
        'blocks.0.attn.qkv.bias': (24, ),
        'blocks.0.attn.proj.weight': (8, 8),
        'blocks.0.attn.proj.bias': (8, ),
        'blocks.0.norm2.weight': (8, ),
        'blocks.0.norm2.bias': (8, ),
        'blocks.0.mlp.fc1.weight': (32, 8),
        'blocks.0.mlp.fc1.bias': (32, ),
        'blocks.0.mlp.fc2.weight': (8, 32),
        'blocks.0.mlp.fc2.bias': (8, ),
        'norm.weight': (8, ),
        'norm.bias': (8, ),
        'head.weight': (5, 8),
        'head.bias': (5, ),
        'head_dist.weight': (5, 8),
        'head_dist.bias': (5, ),
    }
    return {k: torch.randn(s, generator=gen) for k, s in shapes.items()}


def test_model_and_ema_entries(tmp_path):
    model, ema = _tiny_official_state(0), _tiny_official_state(1)
    src = tmp_path / 'deit_lt_checkpoint.pth'
    # main.py's layout: the args namespace is pickled too
    torch.save(
        dict(
            model=model,
            model_ema=ema,
            optimizer={},
            epoch=1199,
            args=argparse.Namespace(drw=1100)), src)
    lines = []
    for key, expected in ((None, model), ('model_ema', ema)):
        out = convert_checkpoint(
            str(src),
            str(tmp_path / 'mmlt.pth'),
            convert_deit_lt,
            log=lines.append,
            state_key=key)
        assert torch.equal(out['head.layers.head_dist.bias'],
                           expected['head_dist.bias'])
        assert torch.equal(out['backbone.layers.0.ffn.layers.1.weight'],
                           expected['blocks.0.mlp.fc2.weight'])
    assert "['argparse.Namespace']" in lines[0]
    torch.save(dict(model=model), src)
    with pytest.raises(ValueError, match="no 'model_ema' state dict"):
        convert_checkpoint(
            str(src),
            str(tmp_path / 'mmlt.pth'),
            convert_deit_lt,
            state_key='model_ema')


def test_converter_script(tmp_path):
    model, ema = _tiny_official_state(0), _tiny_official_state(1)
    src = tmp_path / 'official.pth'
    torch.save(
        dict(model=model, model_ema=ema, args=argparse.Namespace()), src)
    for flags, expected in (([], model), (['--ema'], ema)):
        dst = tmp_path / f'mmlt{len(flags)}.pth'
        out = subprocess.run([
            sys.executable, 'tools/model_converters/deit_lt_to_mmlt.py',
            str(src),
            str(dst), *flags
        ],
                             cwd=REPO,
                             capture_output=True,
                             text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        assert '23 tensors written' in out.stdout
        converted = torch.load(dst, weights_only=True)['state_dict']
        assert torch.equal(converted['backbone.cls_token'],
                           expected['cls_token'])
        # loads into a tiny student of the same layout
        ours = deit_lt_student(
            dict(
                embed_dims=8,
                num_layers=1,
                num_heads=2,
                feedforward_channels=32),
            5,
            img_size=8,
            patch_size=4)
        ours.load_state_dict(converted, strict=True)


def test_converter_script_loads_into_the_cifar_config(tmp_path):
    """The DeiT-B/16 fixture through the script, loaded strictly into the
    student of the CIFAR-100-LT config (its teacher is not built)."""
    state = {
        key: torch.tensor(float(i)).expand(shape)  # stride 0: a small file
        for i, (key, shape) in enumerate(official_shapes().items())
    }
    src, dst = tmp_path / 'official.pth', tmp_path / 'mmlt.pth'
    torch.save(dict(model=state, args=argparse.Namespace()), src)
    config = ('configs/deit_lt/'
              'deit-lt_deit-b16_2xb128-1200e_cifar100lt-if100.py')
    out = subprocess.run([
        sys.executable, 'tools/model_converters/deit_lt_to_mmlt.py',
        str(src),
        str(dst), '--config', config
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'loaded strictly' in out.stdout
    assert '155 tensors written' in out.stdout


def test_xformers_stand_in_is_scaled_dot_product_attention():
    """The official model's xformers attention, written in plain torch for
    CPU, equals torch's attention (with and without an additive bias)."""
    from mmlt.testing.official_code import _xformers_stub
    attention = _xformers_stub()['xformers.ops'].memory_efficient_attention
    g = torch.Generator().manual_seed(0)
    q, k, v = (
        torch.randn(2, 5, 3, 4, generator=g, dtype=torch.float64)
        for _ in range(3))
    bias = torch.randn(2, 3, 5, 5, generator=g, dtype=torch.float64)
    for b in (None, bias):
        ref = torch.nn.functional.scaled_dot_product_attention(
            *(t.transpose(1, 2) for t in (q, k, v)),
            attn_mask=b).transpose(1, 2)
        torch.testing.assert_close(
            attention(q, k, v, attn_bias=b), ref, rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match='tensor attn_bias'):
        attention(q, k, v, attn_bias='lower-triangular')
