# Copyright (c) mmlt contributors. All rights reserved.
"""Official checkpoint converters: key mappings on fixtures of the official
key names and shapes (``tests/data/official_keys``, read off the official
models), safe loading of foreign pickles, the converter scripts."""
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
from mmlt.utils.official_checkpoints import (convert_expert_resnet,
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
