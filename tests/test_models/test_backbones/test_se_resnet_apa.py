# Copyright (c) mmlt contributors. All rights reserved.
"""SE-ResNet AGLU / APA-SE backbones, the APA-SE and CBAM layers."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger

from mmlt.models.backbones import (AGLUSEBasicBlock, AGLUSEBottleneck,
                                   SEResNetAGLU, SEResNetCifarAGLU,
                                   SEResNeXtAGLU, ZeroPadShortcut)
from mmlt.models.layers import AGLU, APA, CBAM, APASELayer, set_apa_compile


@pytest.fixture(autouse=True)
def _eager_quiet():
    """Eager kernels (no compile for tiny tensors) and quiet init logs."""
    set_apa_compile(False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: one thread is faster when shared
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')
    yield
    logger.setLevel(level)
    torch.set_num_threads(threads)
    set_apa_compile(True)


def eta(z, kappa, lam):
    """APA gate by hand, elementwise on a tensor."""
    return (1 + lam * torch.exp(-kappa * z))**(-1 / lam)


def _param(act):
    return act.kappa_param.item(), act.lambda_param.item()


def test_cifar_se_resnet32_shapes_and_layout():
    torch.manual_seed(0)
    m = SEResNetCifarAGLU(depth=32, out_indices=(0, 1, 2))
    m.init_weights()
    outs = m(torch.randn(2, 3, 32, 32))
    assert [o.shape for o in outs] == [(2, 16, 32, 32), (2, 32, 16, 16),
                                       (2, 64, 8, 8)]
    assert isinstance(m.relu, AGLU)
    blocks = [b for layer in (m.layer1, m.layer2, m.layer3) for b in layer]
    assert len(blocks) == 15
    assert all(isinstance(b, AGLUSEBasicBlock) for b in blocks)
    b = m.layer2[0]
    assert isinstance(b.downsample, ZeroPadShortcut)  # option A
    assert isinstance(b.act1, AGLU) and isinstance(b.act2, AGLU)
    assert b.act1 is not b.act2 and not hasattr(b, 'relu')
    se = b.se_layer
    assert isinstance(se, APASELayer)
    assert se.conv1.conv.out_channels == 32 // 4  # r = 4
    assert isinstance(se.norm, nn.LayerNorm)
    assert isinstance(se.dropout, nn.Dropout) and se.dropout.p == 0.1
    gate = se.conv2.activate
    assert isinstance(gate, APA) and -1 <= gate.kappa_param.item() <= 0


def test_basic_block_forward_order():
    """conv -> BN -> AGLU1 -> conv -> BN -> SE -> + identity -> AGLU2."""
    torch.manual_seed(1)
    block = AGLUSEBasicBlock(8, 8, se_ratio=4).eval()
    x = torch.randn(2, 8, 6, 6)
    (k1, l1), (k2, l2) = _param(block.act1), _param(block.act2)
    h = block.norm1(block.conv1(x))
    h = h * eta(h, k1, l1)
    h = block.se_layer(block.norm2(block.conv2(h)))
    h = h + x
    expected = h * eta(h, k2, l2)
    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-6)


def test_bottleneck_forward_order_three_aglus():
    """conv1x1 -> BN -> AGLU1 -> conv3x3 -> BN -> AGLU2 -> conv1x1 -> BN ->
    SE -> + identity -> AGLU3, with three independent (lambda, kappa)."""
    torch.manual_seed(2)
    down = nn.Sequential(nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32))
    block = AGLUSEBottleneck(
        16, 32, groups=1, se_ratio=4, downsample=down).eval()
    acts = [block.act1, block.act2, block.act3]
    assert len({id(a.lambda_param) for a in acts}) == 3
    x = torch.randn(2, 16, 5, 5)
    h = block.norm1(block.conv1(x))
    h = h * eta(h, *_param(block.act1))
    h = block.norm2(block.conv2(h))
    h = h * eta(h, *_param(block.act2))
    h = block.se_layer(block.norm3(block.conv3(h))) + down(x)
    expected = h * eta(h, *_param(block.act3))
    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-6)


def test_apa_se_layer_by_hand():
    """pool -> LayerNorm -> FC -> ReLU -> FC -> Dropout -> APA -> x * gate."""
    torch.manual_seed(3)
    se = APASELayer(8, ratio=4).eval()  # eval: dropout is the identity
    x = torch.randn(2, 8, 3, 3)
    pooled = x.mean(dim=(2, 3))
    mu = pooled.mean(1, keepdim=True)
    var = pooled.var(1, unbiased=False, keepdim=True)
    normed = (pooled - mu) / torch.sqrt(var + 1e-5)  # LN weight 1, bias 0
    w1 = se.conv1.conv.weight.flatten(1)
    w2 = se.conv2.conv.weight.flatten(1)
    assert w1.shape == (2, 8) and se.conv1.conv.bias is None
    hidden = F.relu(normed @ w1.t())
    gate = eta(hidden @ w2.t(), *_param(se.conv2.activate))
    torch.testing.assert_close(
        se(x), x * gate[:, :, None, None], rtol=1e-5, atol=1e-6)
    se.train()
    torch.manual_seed(0)
    assert not torch.allclose(se(x), se.eval()(x))  # dropout active
    plain = APASELayer(
        8,
        ratio=4,
        gate_cfg=dict(type='Sigmoid'),
        layer_norm=False,
        dropout=0.)
    assert plain.norm is None and isinstance(plain.conv2.activate, nn.Sigmoid)
    with pytest.raises(ValueError, match='dropout must be in'):
        APASELayer(8, dropout=1.)
    with pytest.raises(ValueError, match='ratio must be a positive int'):
        APASELayer(8, ratio=0)


def test_cbam_by_hand():
    torch.manual_seed(4)
    cbam = CBAM(8, ratio=2).eval()
    x = torch.randn(2, 8, 5, 5)
    ln, mlp = cbam.norm, cbam.mlp
    att = mlp(ln(x.mean((2, 3)))) + mlp(ln(x.amax((2, 3))))
    y = x * eta(att, *_param(cbam.channel_gate))[:, :, None, None]
    maps = torch.cat([y.amax(1, keepdim=True), y.mean(1, keepdim=True)], 1)
    s = cbam.spatial_norm(F.conv2d(maps, cbam.spatial_conv.weight, padding=3))
    expected = y * eta(s, *_param(cbam.spatial_gate))
    torch.testing.assert_close(cbam(x), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='spatial_kernel must be odd'):
        CBAM(8, spatial_kernel=4)


@pytest.mark.parametrize('depth,blocks', [(50, (3, 4, 6, 3)),
                                          (101, (3, 4, 23, 3)),
                                          (152, (3, 8, 36, 3))])
def test_se_resnet_aglu_depths(depth, blocks):
    m = SEResNetAGLU(depth=depth, out_indices=(0, 1, 2, 3))
    assert tuple(len(getattr(m, f'layer{i}')) for i in (1, 2, 3, 4)) == blocks
    assert isinstance(m.relu, AGLU)
    assert m.layer1[0].se_layer.conv1.conv.out_channels == 256 // 16
    if depth == 50:
        outs = m(torch.randn(1, 3, 64, 64))
        assert [o.shape[1:] for o in outs] == [(256, 16, 16), (512, 8, 8),
                                               (1024, 4, 4), (2048, 2, 2)]


def test_se_resnext50_and_cbam_variants():
    x = torch.randn(1, 3, 64, 64)
    m = SEResNeXtAGLU(depth=50)
    assert m.layer1[0].conv2.groups == 32
    assert m.layer1[0].conv2.out_channels == 128  # 32 x 4d
    assert m(x)[0].shape == (1, 2048, 2, 2)
    c = SEResNetAGLU(depth=50, attention='cbam')
    assert isinstance(c.layer4[2].se_layer, CBAM)
    assert c(x)[0].shape == (1, 2048, 2, 2)
    base = SEResNetAGLU(depth=50, act_cfg=dict(type='ReLU'), attention=None)
    assert isinstance(base.layer1[0].act3, nn.ReLU)
    assert isinstance(base.layer1[0].se_layer, nn.Identity)
    with pytest.raises(ValueError, match='attention must be one of'):
        SEResNetAGLU(depth=50, attention='eca')


def test_state_dict_keys_documented():
    keys = set(SEResNetAGLU(depth=50).state_dict())
    for key in ('relu.lambda_param', 'relu.kappa_param', 'conv1.weight',
                'bn1.weight', 'layer1.0.act1.lambda_param',
                'layer1.0.act2.kappa_param', 'layer1.0.act3.lambda_param',
                'layer1.0.se_layer.norm.weight',
                'layer1.0.se_layer.conv1.conv.weight',
                'layer1.0.se_layer.conv2.conv.weight',
                'layer1.0.se_layer.conv2.activate.lambda_param',
                'layer1.0.downsample.0.weight', 'layer4.2.bn3.weight'):
        assert key in keys, key
    assert not any('.relu.' in k for k in keys if k.startswith('layer'))


def test_frozen_stages_freeze_stem_aglu():
    m = SEResNetAGLU(depth=50, frozen_stages=1)
    m.train()
    assert not m.relu.lambda_param.requires_grad
    assert not m.layer1[0].act1.kappa_param.requires_grad
    assert m.layer2[0].act1.kappa_param.requires_grad
    assert not m.bn1.training and m.layer2[0].bn1.training


def test_reinit_act_stages_refills_layer4():
    torch.manual_seed(5)
    m = SEResNetAGLU(depth=50, reinit_act_stages=(3, ))
    before = {
        n: p.clone()
        for n, p in m.named_parameters()
        if n.endswith(('lambda_param', 'kappa_param'))
    }
    m.init_weights()
    for name, old in before.items():
        new = dict(m.named_parameters())[name]
        if name.startswith('layer4'):
            # one U(0, 1) draw per parameter tensor
            assert 0 <= new.item() < 1
        else:
            assert torch.equal(new, old), name
    values = [
        dict(m.named_parameters())[n].item() for n in before
        if n.startswith('layer4')
    ]
    assert len(set(values)) == len(values) == 3 * 3 * 2 + 3 * 2


def test_zero_init_residual_default_off_and_grads_flow():
    m = SEResNetCifarAGLU(depth=20)
    m.init_weights()
    assert not math.isclose(m.layer1[0].norm2.weight.abs().sum().item(), 0)
    out = m(torch.randn(2, 3, 16, 16))[-1]
    out.square().mean().backward()
    grads = [
        p.grad for n, p in m.named_parameters()
        if n.endswith(('lambda_param', 'kappa_param'))
    ]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
