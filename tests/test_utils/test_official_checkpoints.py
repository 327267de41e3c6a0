# Copyright (c) mmlt contributors. All rights reserved.
"""Official checkpoint converters: key mappings on fixtures of the official
key names and shapes (``tests/data/official_keys``, read off the official
models; AGLU's written out below), safe loading of foreign pickles, the
converter scripts."""
import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from mmlt.utils.foreign_checkpoint import load_foreign_checkpoint
from mmlt.utils.official_checkpoints import (convert_aglu_resnet,
                                             convert_checkpoint,
                                             convert_expert_resnet,
                                             convert_shike)

REPO = Path(__file__).resolve().parents[2]
KEYS = REPO / 'tests' / 'data' / 'official_keys'


def official_state(name, prefix=''):
    """A state dict with the official names and shapes, values = index."""
    state = {}
    for i, line in enumerate((KEYS / name).read_text().splitlines()):
        if line.startswith('#'):
            continue
        key, *shape = line.split()
        shape = [] if shape == ['-'] else [int(s) for s in shape]
        state[prefix + key] = torch.full(shape, float(i))
    return state


def model_of(config):
    cfg = Config.fromfile(str(REPO / config)).model
    cfg.backbone.pop('init_cfg', None)
    return MODELS.build(cfg)


@pytest.mark.parametrize('fixture,config,prefix,dropped', [
    ('ride_r32_3e.txt',
     'configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
     'module.backbone.', 0),
    ('ride_ea_r32_3e.txt',
     'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py',
     'backbone.', 0),
    ('mdcs_r32_3e.txt', 'configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py',
     'module.backbone.', 4),
])
def test_expert_resnet_mapping(fixture, config, prefix, dropped):
    state = official_state(fixture, prefix)
    converted, left_out = convert_expert_resnet(state)
    assert len(left_out) == dropped  # MDCS: linear_head, linear_few, mlp.*
    model_of(config).load_state_dict(converted, strict=True)
    # expert 1's second stage, its first block
    assert torch.equal(converted['backbone.layer2.1.0.conv1.weight'],
                       state[prefix + 'layer2s.1.0.conv1.weight'])
    # (in, out) NormedLinear -> (out, in)
    assert converted['head.classifiers.2.weight'].shape == (100, 48)
    assert torch.equal(converted['head.classifiers.2.weight'],
                       state[prefix + 'linears.2.weight'].t())
    if 'ea' in fixture:
        assert torch.equal(
            converted['router.hidden_fcs.1.weight'],
            state[prefix + 'expert_help_pred_hidden_fcs.1.weight'])
        assert torch.equal(converted['router.fc.bias'],
                           state[prefix + 'expert_help_pred_fc.bias'])


def test_shike_mapping():
    state = official_state('shike_r32_3e.txt', 'module.')
    converted, left_out = convert_shike(state)
    assert left_out == []
    model = model_of('configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py')
    model.load_state_dict(converted, strict=True)
    assert model.head.active_classifiers is model.head.rt_classifiers
    assert torch.equal(
        converted['backbone.fusion.branches.2.1.bn.running_var'],
        state['module.shallow_exps.2.convs.StridedConv1.conv.1.running_var'])
    assert torch.equal(converted['backbone.layer3.0.0.downsample.0.weight'],
                       state['module.layer3s.0.0.shortcut.0.weight'])
    assert torch.equal(converted['head.rt_classifiers.1.weight'],
                       state['module.rt_classifiers.1.weight'].t())


def aglu_se_r32_state(prefix='module.'):
    """The keys and shapes of AGLU's CIFAR ``se_resnet32(use_norm='cosine',
    use_gumbel=True)`` (``resnet_cifar.py``: ``ResNet_s`` of
    ``Se_Block_Gumbel``), values = index."""
    shapes = {'conv1.weight': (16, 3, 3, 3)}

    def bn(name, c):
        shapes.update({
            f'{name}.weight': (c, ),
            f'{name}.bias': (c, ),
            f'{name}.running_mean': (c, ),
            f'{name}.running_var': (c, ),
            f'{name}.num_batches_tracked': ()
        })

    def aglu(name):
        shapes.update({
            f'{name}.lambda_param': (1, ),
            f'{name}.kappa_param': (1, )
        })

    bn('bn1', 16)
    aglu('unirect')
    c_in = 16
    for i, c in enumerate((16, 32, 64), 1):
        for j in range(5):
            b = f'layer{i}.{j}'
            shapes[f'{b}.conv1.weight'] = (c, c_in, 3, 3)
            bn(f'{b}.bn1', c)
            shapes[f'{b}.conv2.weight'] = (c, c, 3, 3)
            bn(f'{b}.bn2', c)
            shapes.update({
                f'{b}.se.norm.weight': (c, ),
                f'{b}.se.norm.bias': (c, ),
                f'{b}.se.excitation.0.weight': (c // 4, c),
                f'{b}.se.excitation.2.weight': (c, c // 4)
            })
            aglu(f'{b}.se.unact')
            aglu(f'{b}.unirect1')
            aglu(f'{b}.unirect2')
            c_in = c
    shapes['linear.weight'] = (100, 64)  # CosNorm_Classifier, (out, in)
    return {
        prefix + key: torch.full(shape, float(i))
        for i, (key, shape) in enumerate(shapes.items())
    }


def test_aglu_mapping():
    state = {
        'module.conv1.weight': torch.randn(4, 3, 3, 3),
        'module.unirect.lambda_param': torch.rand(1),
        'module.layer1.0.bn2.running_var': torch.rand(4),
        'module.layer1.0.unirect2.kappa_param': torch.rand(1),
        'module.layer1.0.se.norm.bias': torch.rand(4),
        'module.layer1.0.se.excitation.0.weight': torch.randn(2, 4),
        'module.layer1.0.se.excitation.2.weight': torch.randn(4, 2),
        'module.layer1.0.se.unact.lambda_param': torch.rand(1),
        'module.layer2.0.shortcut.1.running_mean': torch.rand(8),
        'module.layer4.2.downsample.0.weight': torch.randn(8, 4, 1, 1),
        'module.layer4.2.unirect3.lambda_param': torch.rand(1),
        'module.layer4.2.se.uniact.kappa_param': torch.rand(1),
        'module.layer4.2.cbam.ChannelGate.mlp.3.bias': torch.rand(8),
        'module.layer4.2.cbam.SpatialGate.spatial.bn.weight': torch.rand(1),
        'module.layer4.2.cbam.SpatialGate.uniact.kappa_param': torch.rand(1),
        'module.fc.weight': torch.randn(10, 8),
        'module.fc.scale': torch.tensor([5.]),  # lr_cosine
        'module.contrastive.contrast_reduce.weight': torch.randn(8, 8),
        'module.layer1.0.se.squeeze.weight': torch.ones(1),
        'n_averaged': torch.tensor(3),  # torchvision's EMA model
    }
    converted, dropped = convert_aglu_resnet(state)
    renamed = {
        'conv1.weight': 'backbone.conv1.weight',
        'unirect.lambda_param': 'backbone.relu.lambda_param',
        'layer1.0.bn2.running_var': 'backbone.layer1.0.bn2.running_var',
        'layer1.0.unirect2.kappa_param': 'backbone.layer1.0.act2.kappa_param',
        'layer1.0.se.norm.bias': 'backbone.layer1.0.se_layer.norm.bias',
        'layer1.0.se.excitation.0.weight':
        'backbone.layer1.0.se_layer.conv1.conv.weight',
        'layer1.0.se.excitation.2.weight':
        'backbone.layer1.0.se_layer.conv2.conv.weight',
        'layer1.0.se.unact.lambda_param':
        'backbone.layer1.0.se_layer.conv2.activate.lambda_param',
        'layer2.0.shortcut.1.running_mean':
        'backbone.layer2.0.downsample.1.running_mean',
        'layer4.2.downsample.0.weight':
        'backbone.layer4.2.downsample.0.weight',
        'layer4.2.unirect3.lambda_param':
        'backbone.layer4.2.act3.lambda_param',
        'layer4.2.se.uniact.kappa_param':
        'backbone.layer4.2.se_layer.conv2.activate.kappa_param',
        'layer4.2.cbam.ChannelGate.mlp.3.bias':
        'backbone.layer4.2.se_layer.mlp.2.bias',
        'layer4.2.cbam.SpatialGate.spatial.bn.weight':
        'backbone.layer4.2.se_layer.spatial_norm.weight',
        'layer4.2.cbam.SpatialGate.uniact.kappa_param':
        'backbone.layer4.2.se_layer.spatial_gate.kappa_param',
        'fc.weight': 'head.fc.weight',
        'fc.scale': 'head.fc.scale_param',
    }
    assert set(converted) == set(renamed.values())
    assert dropped == [
        'contrastive.contrast_reduce.weight', 'layer1.0.se.squeeze.weight',
        'n_averaged'
    ]
    for old, new in renamed.items():
        value = state['module.' + old]
        if '.se.excitation.' in old:  # Linear -> 1x1 conv
            assert converted[new].shape == (*value.shape, 1, 1)
        elif old == 'fc.scale':  # (1,) -> scalar, squared on both sides
            assert converted[new].shape == ()
        else:
            assert converted[new].shape == value.shape
        assert torch.equal(converted[new].flatten(), value.flatten())


def test_aglu_se_r32_loads_into_the_cifar_config(tmp_path):
    state = aglu_se_r32_state()
    src, dst = tmp_path / 'model_499.pth', tmp_path / 'mmlt.pth'
    # train.py's checkpoint layout
    torch.save({
        'model': state,
        'epoch': 499,
        'args': argparse.Namespace()
    }, src)
    lines = []
    config = 'configs/apa/aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py'
    converted = convert_checkpoint(
        str(src), str(dst), convert_aglu_resnet, log=lines.append)
    assert "['argparse.Namespace']" in lines[0]
    model_of(config).load_state_dict(converted, strict=True)
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert torch.equal(saved['backbone.layer3.4.act2.kappa_param'],
                       state['module.layer3.4.unirect2.kappa_param'])
    assert torch.equal(saved['head.fc.weight'], state['module.linear.weight'])


def test_aglu_normed_linear_is_refused():
    state = {
        'linear.weight': torch.zeros(64, 100),
        'linear.bias': torch.zeros(100)
    }  # resnet_cifar.NormedLinear
    with pytest.raises(ValueError, match='NormedLinear'):
        convert_aglu_resnet(state)
    # a plain Linear classifier converts
    converted, _ = convert_aglu_resnet({
        'fc.weight': torch.zeros(100, 64),
        'fc.bias': torch.zeros(100)
    })
    assert set(converted) == {'head.fc.weight', 'head.fc.bias'}


def test_plain_linear_classifiers_are_refused():
    state = official_state('ride_r32_3e.txt')
    state['linears.0.bias'] = torch.zeros(100)
    with pytest.raises(ValueError, match='use_norm=False'):
        convert_expert_resnet(state)


def test_foreign_pickles_are_not_executed(tmp_path):
    path = tmp_path / 'official.pth'
    config = argparse.Namespace(lr=0.1)  # not allow-listed
    torch.save({'state_dict': {'w': torch.ones(2)}, 'config': config}, path)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    ckpt, stand_ins = load_foreign_checkpoint(str(path))
    assert stand_ins == ['argparse.Namespace']
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert type(ckpt['config']).__name__ == 'Namespace'
    assert not isinstance(ckpt['config'], argparse.Namespace)


def test_converter_script(tmp_path):
    state = official_state('mdcs_r32_3e.txt', 'module.backbone.')
    src, dst = tmp_path / 'official.pth', tmp_path / 'mmlt.pth'
    torch.save({'state_dict': state, 'config': argparse.Namespace()}, src)
    config = 'configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py'
    out = subprocess.run([
        sys.executable, 'tools/model_converters/mdcs_to_mmlt.py',
        str(src),
        str(dst), '--config', config
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'loaded strictly' in out.stdout
    assert "['argparse.Namespace']" in out.stdout
    converted = torch.load(dst, weights_only=True)['state_dict']
    model_of(config).load_state_dict(converted, strict=True)
