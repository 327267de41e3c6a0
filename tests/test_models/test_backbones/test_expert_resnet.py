# Copyright (c) mmlt contributors. All rights reserved.
"""Expert-branch ResNets: shapes, one plain ResLayer per expert, memory
formats, parameter count against the official RIDE ResNet-32, pretrained
initialisation and SHIKE's depth-wise fusion."""
import logging

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmpretrain.models.backbones import ResNet
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck, ResLayer
from mmpretrain.models.backbones.resnext import Bottleneck as XBottleneck

import mmlt  # noqa: F401
from mmlt.models.backbones import (DepthwiseFusion, ExpertResNet,
                                   ExpertResNetCifar, ExpertResNeXt,
                                   ZeroPadShortcut)
from mmlt.registry import MODELS

MMLogger.get_current_instance().setLevel(logging.WARNING)


def randomise_bn(model):
    """Non-trivial BN statistics/affine so that equivalence tests bite."""
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(
                torch.rand(m.num_features, generator=gen) - 0.5)
            m.running_var.copy_(
                torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(
                torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=gen) - .5)


@pytest.mark.parametrize('cfg,size,dim', [
    (dict(type='ExpertResNetCifar', num_experts=1), 32, 48),
    (dict(type='ExpertResNetCifar', num_experts=2), 32, 48),
    (dict(type='ExpertResNetCifar', num_experts=3), 32, 48),
    (dict(type='ExpertResNetCifar', num_experts=4), 32, 48),
    (dict(type='ExpertResNetCifar', num_experts=6), 32, 48),
    (dict(type='ExpertResNetCifar', num_experts=3,
          reduce_dimension=False), 32, 64),
    (dict(type='ExpertResNetCifar', num_experts=2, shortcut='B'), 32, 48),
    (dict(type='ExpertResNet', depth=10, num_experts=2), 64, 384),
    (dict(type='ExpertResNet', depth=10, num_experts=4), 64, 384),
    (dict(type='ExpertResNet', depth=50, num_experts=3), 64, 1536),
    (dict(type='ExpertResNet', depth=50, num_experts=2,
          num_shared_stages=3), 64, 1536),
    (dict(
        type='ExpertResNet', depth=152, num_experts=2,
        reduce_dimension=False), 64, 2048),
    (dict(type='ExpertResNeXt', depth=50, num_experts=2), 64, 1536),
    (dict(type='ExpertResNeXt', depth=50, num_experts=4), 64, 1536),
])
def test_shapes(cfg, size, dim):
    model = MODELS.build(cfg)
    feats = model(torch.randn(2, 3, size, size))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, cfg['num_experts'], dim)
    assert model.feat_dim == dim


def test_cifar_widths_and_shortcuts():
    model = ExpertResNetCifar(num_experts=3)
    assert isinstance(model.layer1, ResLayer)  # shared
    for name in ('layer2', 'layer3'):
        experts = getattr(model, name)
        assert isinstance(experts, nn.ModuleList) and len(experts) == 3
        assert all(isinstance(e, ResLayer) for e in experts)
    assert model.layer2[1][0].conv1.weight.shape == (24, 16, 3, 3)
    assert model.layer3[2][0].conv1.weight.shape == (48, 24, 3, 3)
    assert isinstance(model.layer2[0][0].downsample, ZeroPadShortcut)
    full = ExpertResNetCifar(num_experts=3, reduce_dimension=False)
    assert full.layer3[0][0].conv2.weight.shape == (64, 64, 3, 3)
    shike = ExpertResNetCifar(
        num_experts=3,
        shortcut='B',
        num_shared_stages=2,
        reduce_dimension=False)
    assert isinstance(shike.layer2, ResLayer)
    assert len(shike.layer3) == 3
    assert isinstance(shike.layer3[0][0].downsample, nn.Sequential)


def official_ride_r32_params(num_experts, num_classes, l2=24, l3=48):
    """Parameters of the official RIDE ResNet-32 (``ride_resnet_cifar.py``
    ``ResNet_s`` with ``reduce_dimension=True, use_norm=True``), counted by
    hand: 3x3 convs without bias, BN weight+bias, option-A shortcuts (no
    parameters), NormedLinear (in x out, no bias)."""

    def basic_layer(cin, cout, blocks):
        first = 9 * cin * cout + 9 * cout * cout + 4 * cout
        rest = 9 * cout * cout * 2 + 4 * cout
        return first + (blocks - 1) * rest

    shared = 9 * 3 * 16 + 2 * 16 + basic_layer(16, 16, 5)
    expert = basic_layer(16, l2, 5) + basic_layer(l2, l3, 5) + \
        l3 * num_classes
    return shared + num_experts * expert


def test_param_count_matches_official_ride_r32():
    from mmengine.config import Config
    cfg = Config.fromfile(
        'configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py')
    model = MODELS.build(cfg.model)
    ours = sum(p.numel() for p in model.parameters())
    official = official_ride_r32_params(3, 100)
    assert official == 783856
    assert ours == official
    teacher = MODELS.build(
        Config.fromfile(
            'configs/ride/ride-6e_r32_1xb128-200e_cifar100lt-if100.py').model)
    assert sum(p.numel() for p in teacher.parameters()) == \
        official_ride_r32_params(6, 100)


def test_cifar_equals_independent_branches():
    """Each expert equals a plain ResNet branch (mmpretrain ResLayers with
    the foundation's option-A shortcut) fed the shared features."""
    torch.manual_seed(0)
    k_experts = 3
    model = ExpertResNetCifar(num_experts=k_experts, channels_last=False)
    randomise_bn(model)
    model.eval()
    x = torch.randn(4, 3, 32, 32)
    feats = model(x)[0]
    shared = model.layer1(model.relu(model.norm1(model.conv1(x))))
    for k in range(k_experts):
        layer2 = ResLayer(BasicBlock, 5, 16, 24, stride=2)
        layer2[0].downsample = ZeroPadShortcut(16, 24, 2)
        layer3 = ResLayer(BasicBlock, 5, 24, 48, stride=2)
        layer3[0].downsample = ZeroPadShortcut(24, 48, 2)
        layer2.load_state_dict(model.layer2[k].state_dict())
        layer3.load_state_dict(model.layer3[k].state_dict())
        branch = nn.Sequential(layer2, layer3).eval()
        ref = branch(shared).mean(dim=(2, 3))
        torch.testing.assert_close(feats[:, k], ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('cls,block,kwargs', [
    (ExpertResNet, Bottleneck, {}),
    (ExpertResNeXt, XBottleneck,
     dict(groups=32, width_per_group=4, base_channels=64)),
])
def test_imagenet_equals_independent_branches(cls, block, kwargs):
    torch.manual_seed(0)
    model = cls(depth=50, num_experts=2, channels_last=False)
    randomise_bn(model)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    feats = model(x)[0]
    shared = model.forward_shared(x)[-1]
    for k in range(2):
        layer3 = ResLayer(block, 6, 512, 768, stride=2, **kwargs)
        layer4 = ResLayer(block, 3, 768, 1536, stride=2, **kwargs)
        layer3.load_state_dict(model.layer3[k].state_dict())
        layer4.load_state_dict(model.layer4[k].state_dict())
        branch = nn.Sequential(layer3, layer4).eval()
        ref = branch(shared).mean(dim=(2, 3))
        torch.testing.assert_close(feats[:, k], ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('fusion', [None, dict(taps=('layer1', 'layer2'))])
def test_memory_formats_agree_in_training(fusion):
    """Outputs, input gradients, weight gradients and BN running statistics
    of the channels-last model equal those of the NCHW model (in float64:
    train-mode BN on a batch of 4 is badly conditioned in float32)."""
    torch.manual_seed(0)
    kwargs = dict(
        num_experts=2,
        shortcut='B',
        fusion=fusion,
        num_shared_stages=2 if fusion else 1,
        reduce_dimension=fusion is None)
    ref = ExpertResNetCifar(channels_last=False, **kwargs).double()
    model = ExpertResNetCifar(channels_last=True, **kwargs).double()
    model.load_state_dict(ref.state_dict())
    x = torch.randn(4, 3, 32, 32, dtype=torch.float64)
    outs = []
    for m in (ref, model):
        m.train()
        xi = x.clone().requires_grad_()
        out = m(xi)[0]
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum() \
            .backward()
        outs.append((out, xi.grad, m))
    (o1, g1, m1), (o2, g2, m2) = outs
    torch.testing.assert_close(o1, o2)
    torch.testing.assert_close(g1, g2)
    for (n1, p1), (n2, p2) in zip(m1.named_parameters(),
                                  m2.named_parameters()):
        assert n1 == n2
        torch.testing.assert_close(p1.grad, p2.grad, msg=n1)
    for (n1, b1), (n2, b2) in zip(m1.named_buffers(), m2.named_buffers()):
        torch.testing.assert_close(b1, b2, msg=n1)


def test_forward_expert_on_a_subset():
    torch.manual_seed(0)
    model = ExpertResNet(depth=10, num_experts=3)
    model.eval()
    x = torch.randn(4, 3, 64, 64)
    feats = model(x)[0]
    taps = model.forward_shared(x)
    assert [t.shape[1] for t in taps] == [64, 64, 128]  # stem, layer1, 2
    idx = torch.tensor([3, 1])
    torch.testing.assert_close(
        model.forward_expert(tuple(t[idx] for t in taps), 2),
        feats[idx, 2],
        rtol=1e-4,
        atol=1e-5)
    with pytest.raises(ValueError, match='expert index 3'):
        model.forward_expert(taps, 3)


def test_pretrained_checkpoint_initialises_every_expert(tmp_path):
    """A single-branch ResNet-50 checkpoint (mmpretrain key layout) copies
    the shared stages and every expert's layer3/layer4, so each expert
    computes the plain network's pooled feature."""
    torch.manual_seed(0)
    plain = ResNet(depth=50)
    plain.init_weights()
    randomise_bn(plain)
    plain.eval()
    ckpt = tmp_path / 'r50.pth'
    torch.save(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in plain.state_dict().items()
            }
        }, ckpt)
    model = ExpertResNet(
        depth=50,
        num_experts=3,
        reduce_dimension=False,
        channels_last=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(ckpt), prefix='backbone.'))
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    ref = plain(x)[-1].mean(dim=(2, 3))
    feats = model(x)[0]
    for k in range(3):
        torch.testing.assert_close(feats[:, k], ref, rtol=1e-4, atol=1e-4)

    reduced = ExpertResNet(
        depth=50,
        num_experts=2,
        reduce_dimension=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(ckpt), prefix='backbone.'))
    with pytest.raises(ValueError, match='reduce_dimension=False'):
        reduced.init_weights()
    with pytest.raises(KeyError, match='lacks'):
        ExpertResNet(
            depth=50,
            num_experts=2,
            reduce_dimension=False,
            init_cfg=dict(
                type='Pretrained', checkpoint=str(ckpt),
                prefix='model.')).init_weights()


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_experts must be >= 1'):
        ExpertResNetCifar(num_experts=0)
    with pytest.raises(ValueError, match='num_shared_stages'):
        ExpertResNet(depth=50, num_shared_stages=4)
    with pytest.raises(ValueError, match='one width per expert stage'):
        ExpertResNet(depth=10, expert_planes=(192, ))
    with pytest.raises(ValueError, match='cannot reduce channels'):
        ZeroPadShortcut(48, 24, 2)
    with pytest.raises(ValueError, match='one tap per expert'):
        ExpertResNetCifar(
            num_experts=3, num_shared_stages=2, fusion=dict(taps=('layer1', )))
    with pytest.raises(ValueError, match="tap 'layer3' is not a shared"):
        ExpertResNetCifar(
            num_experts=1, num_shared_stages=2, fusion=dict(taps=('layer3', )))
    with pytest.raises(ValueError, match='cannot bring'):
        # reduced experts (48 channels) cannot be reached by doubling 16
        ExpertResNetCifar(
            num_experts=1, num_shared_stages=2, fusion=dict(taps=('layer1', )))


def shike_r32_params(num_classes=100, num_experts=3):
    """Parameters of the official SHIKE ResNet-32 (``networks.py``
    ``ResNet_MoE`` with 3 experts and option-B shortcuts, without its two
    classifier sets), counted by hand."""

    def basic_layer(cin, cout, blocks, stride):
        first = 9 * cin * cout + 9 * cout * cout + 4 * cout
        if stride != 1 or cin != cout:
            first += cin * cout + 2 * cout  # 1x1 conv + BN shortcut
        rest = 9 * cout * cout * 2 + 4 * cout
        return first + (blocks - 1) * rest

    stem = 9 * 3 * 16 + 2 * 16
    shared = stem + basic_layer(16, 16, 5, 1) + basic_layer(16, 32, 5, 2)
    layer3 = basic_layer(32, 64, 5, 2)
    # strided conv + BN blocks: 16->32->64 (experts 0, 2), 32->64 (expert 1)
    depth2 = 9 * 16 * 32 + 2 * 32 + 9 * 32 * 64 + 2 * 64
    depth1 = 9 * 32 * 64 + 2 * 64
    return shared + num_experts * layer3 + 2 * depth2 + depth1


def test_shike_depthwise_fusion():
    """SHIKE's ResNet-32: shared stem + layer1 + layer2, one layer3 per
    expert, each multiplied by its aligned shallow tap, then pooled."""
    torch.manual_seed(0)
    model = ExpertResNetCifar(
        num_experts=3,
        shortcut='B',
        num_shared_stages=2,
        reduce_dimension=False,
        channels_last=False,
        fusion=dict(taps=('layer1', 'layer2', 'layer1')))
    assert sum(p.numel() for p in model.parameters()) == shike_r32_params()
    fusion = model.fusion
    assert isinstance(fusion, DepthwiseFusion)
    assert [len(b) for b in fusion.branches] == [2, 1, 2]
    # ReLU after every aligning block but the second, as the official code
    assert [[m.with_activation for m in b] for b in fusion.branches] == \
        [[True, False], [True], [True, False]]
    randomise_bn(model)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    feats = model(x)[0]
    assert feats.shape == (2, 3, 64)
    with torch.no_grad():
        stem = model.relu(model.norm1(model.conv1(x)))
        out1 = model.layer1(stem)
        out2 = model.layer2(out1)
        for k, shallow in enumerate((out1, out2, out1)):
            deep = model.layer3[k](out2)
            aligned = fusion.branches[k](shallow)
            assert aligned.shape == deep.shape == (2, 64, 8, 8)
            torch.testing.assert_close(feats[:, k],
                                       (deep * aligned).mean(dim=(2, 3)))


def test_imagenet_fusion_taps():
    """The ImageNet-scale SHIKE layout: shared through layer3, per-expert
    layer4, taps layer1/2/3 aligned by 3/2/1 blocks to 2048 channels."""
    model = ExpertResNet(
        depth=50,
        num_experts=3,
        num_shared_stages=3,
        reduce_dimension=False,
        fusion=dict(taps=('layer1', 'layer2', 'layer3')))
    assert [len(b) for b in model.fusion.branches] == [3, 2, 1]
    assert model(torch.randn(1, 3, 64, 64))[0].shape == (1, 3, 2048)
