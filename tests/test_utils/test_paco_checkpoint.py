# Copyright (c) mmlt contributors. All rights reserved.
"""tools/model_converters/paco_to_mmlt.py: the key mapping on the official
PaCo / GPaCo ``MoCo`` key names and shapes (``tests/data/official_keys``,
read off the official models), on the official models themselves when a
checkout is given (``MMLT_PACO_REPO``), and the converter script on a
checkpoint that pickles an ``argparse.Namespace`` (safe loading)."""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from mmlt.utils.paco_checkpoint import convert_paco

REPO = Path(__file__).resolve().parents[2]
KEYS = REPO / 'tests' / 'data' / 'official_keys'
CONFIGS = dict(
    paco='configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py',
    gpaco='configs/paco/gpaco_r32_1xb128-400e_cifar100lt-if100.py')


def official_state(name, prefix='module.'):
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


@pytest.mark.parametrize('variant', ['paco', 'gpaco'])
def test_official_keys_map_onto_mmlt(variant):
    state = official_state(f'{variant}_r32_cifar100.txt')
    converted, dropped = convert_paco(state)
    model = model_of(CONFIGS[variant])
    model.load_state_dict(converted, strict=True)
    if variant == 'paco':
        assert dropped == ['linear_k.weight', 'linear_k.bias']
        assert torch.equal(
            converted['encoder_k.backbone.layer3.4.bn2.running_var'],
            state['module.encoder_k.layer3.4.bn2.running_var'])
        assert torch.equal(converted['encoder_k.projector.mlp.3.weight'],
                           state['module.encoder_k.fc.3.weight'])
        assert torch.equal(converted['projector.mlp.1.running_mean'],
                           state['module.encoder_q.fc.1.running_mean'])
    else:
        assert dropped == []
        assert not any(k.startswith('encoder_k') for k in converted)
        assert torch.equal(converted['projector.mlp.4.weight'],
                           state['module.encoder_q.fc.4.weight'])
    assert torch.equal(converted['backbone.layer2.0.conv1.weight'],
                       state['module.encoder_q.layer2.0.conv1.weight'])
    assert torch.equal(converted['head.fc.weight'],
                       state['module.linear.weight'])
    assert converted['queue'].shape == (1024, 32)
    assert torch.equal(converted['queue_labels'], state['module.queue_l'])
    assert torch.equal(model.queue_labels,
                       state['module.queue_l'].long())  # loaded as labels


def test_a_mismatched_config_fails_loudly():
    """A GPaCo checkpoint in the PaCo config is refused, not loaded
    partly (their issue #21: near-zero accuracy of a released checkpoint
    in other code)."""
    converted, _ = convert_paco(official_state('gpaco_r32_cifar100.txt'))
    with pytest.raises(RuntimeError, match='Missing key'):
        model_of(CONFIGS['paco']).load_state_dict(converted, strict=True)


def test_projection_without_mlp():
    converted, _ = convert_paco({
        'module.encoder_q.fc.weight':
        torch.zeros(32, 64),
        'module.encoder_q.fc.bias':
        torch.zeros(32)
    })
    assert set(converted) == {'projector.mlp.0.weight', 'projector.mlp.0.bias'}


@pytest.mark.skipif(
    not os.environ.get('MMLT_PACO_REPO'),
    reason='set MMLT_PACO_REPO to a checkout of '
    'dvlab-research/Parametric-Contrastive-Learning')
@pytest.mark.parametrize('variant', ['PaCo', 'GPaCo'])
def test_official_models_convert(variant):
    from mmlt.testing.official_paco import (load_official_paco,
                                            official_paco_model,
                                            official_paco_session)
    off = load_official_paco(os.environ['MMLT_PACO_REPO'], variant)
    counts = [int(500 * 0.01**(c / 99)) for c in range(100)]
    with official_paco_session():
        official, _ = official_paco_model(off, variant, 100, 32, 1024, 64,
                                          0.05, 0.01, counts)
    converted, _ = convert_paco(official.state_dict())
    model = model_of(CONFIGS[variant.lower()])
    model.load_state_dict(converted, strict=True)
    official.double().eval()
    model.double().eval()
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(official(x), model(x), rtol=0, atol=1e-9)


def test_converter_script_safe_loading(tmp_path):
    state = official_state('paco_r32_cifar100.txt')
    src, dst = tmp_path / 'moco_ckpt.pth.tar', tmp_path / 'mmlt.pth'
    torch.save(
        dict(
            epoch=400,
            arch='resnet32',
            state_dict=state,
            args=argparse.Namespace(moco_k=1024, mark='paco')), src)
    proc = subprocess.run([
        sys.executable, 'tools/model_converters/paco_to_mmlt.py',
        str(src),
        str(dst), '--config', CONFIGS['paco']
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'argparse.Namespace' in out  # replaced by an inert stand-in
    assert 'loaded strictly' in out
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert torch.equal(ckpt['state_dict']['head.fc.bias'],
                       state['module.linear.bias'])
