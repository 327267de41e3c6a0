# Copyright (c) mmlt contributors. All rights reserved.
"""tools/analysis_tools/get_flops.py on multi-expert and plain models."""
import importlib.util
from pathlib import Path

import pytest
import torch

import mmlt  # noqa: F401
from mmlt.registry import MODELS

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location(
        'get_flops', REPO / 'tools' / 'analysis_tools' / 'get_flops.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _router_model(num_classes=10):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='RIDERouterClassifier',
            backbone=dict(type='ExpertResNetCifar', num_experts=3),
            head=dict(
                type='MultiExpertClsHead',
                num_classes=num_classes,
                in_channels=48,
                num_experts=3,
                loss=dict(type='RIDELoss')),
            router=dict(
                type='RIDERouterHead',
                in_channels=48,
                num_classes=num_classes,
                num_experts=3,
                top_choices=5)))


def test_expert_flops_by_hand():
    tool = _tool()
    flops = tool.model_flops(_router_model(), (32, 32))
    experts = flops['experts']
    assert len(experts) == 3 and experts[0] == experts[1] == experts[2]
    # conv multiply-adds of one reduced expert (layer2 24 ch at 16x16,
    # layer3 48 ch at 8x8) plus its 48x10 classifier, by hand
    convs = (16 * 24 * 9 + 24 * 24 * 9 + 8 * 24 * 24 * 9) * 256 + \
        (24 * 48 * 9 + 48 * 48 * 9 + 8 * 48 * 48 * 9) * 64
    assert convs + 480 <= experts[0] <= 1.01 * (convs + 480)
    # router decision: FC 48 -> 16 and the shared Linear(16 + 5 -> 1)
    assert flops['router_step'] == 48 * 16 + 16 + 5
    step = flops['router_step']
    assert flops['per_k'] == [
        flops['shared'] + experts[0] + step,
        flops['shared'] + 2 * experts[0] + 2 * step,
        flops['shared'] + 3 * experts[0] + 2 * step,
    ]
    assert tool.routed_flops([1., 2., 3.], [0.5, 0.25, 0.25]) == 1.75
    with pytest.raises(ValueError, match='3 fractions summing to 1'):
        tool.routed_flops([1., 2., 3.], [0.5, 0.5])


def test_cli_on_configs(capsys):
    tool = _tool()
    flops = tool.main([
        'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py',
        '--shape', '32', '32', '--expert-usage', '0.4,0.1,0.5'
    ])
    out = capsys.readouterr().out
    assert '3 expert(s)' in out and 'routed' in out
    assert flops['per_k'][0] < flops['routed'] < flops['per_k'][2]
    plain = tool.main([
        'configs/baselines/ce_r32_1xb128-200e_cifar100lt-'
        'if100.py', '--shape', '32', '32'
    ])
    # ResNet-32 is about 0.07 GFLOPs at 32x32
    assert 0.06e9 < plain['total'] < 0.08e9
    assert plain['total'] < flops['per_k'][2]
