# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import CARAFEPack
from mmdet.registry import MODELS
from mmengine.config import ConfigDict

from mmlt.det.models.layers import CARAFEPackWithFallback, carafe_reassemble


def _naive_carafe(x, masks, k, g, s):
    """CARAFE by its definition, one output element at a time:
    out[n, c, i, j] = sum_{a,b} masks[n, g(c)k^2 + ak + b, i, j]
                      * x[n, c, i//s + a - r, j//s + b - r]  (zero outside)."""
    n, c, h, w = x.shape
    r = (k - 1) // 2
    out = torch.zeros(n, c, h * s, w * s, dtype=x.dtype)
    for ni in range(n):
        for ci in range(c):
            grp = ci // (c // g)
            for i in range(h * s):
                for j in range(w * s):
                    acc = 0.
                    for a in range(k):
                        for b in range(k):
                            y, xx = i // s + a - r, j // s + b - r
                            if 0 <= y < h and 0 <= xx < w:
                                acc += float(masks[ni, grp * k * k + a * k + b,
                                                   i, j]) * float(x[ni, ci, y,
                                                                    xx])
                    out[ni, ci, i, j] = acc
    return out


@pytest.mark.parametrize('k,g,s', [(3, 1, 2), (5, 2, 2), (3, 2, 3)])
def test_reassemble_matches_definition(k, g, s):
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 4, dtype=torch.float64)
    masks = torch.rand(2, g * k * k, 3 * s, 4 * s, dtype=torch.float64)
    out = carafe_reassemble(x, masks, k, g, s)
    assert out.shape == (2, 4, 3 * s, 4 * s)
    assert torch.allclose(out, _naive_carafe(x, masks, k, g, s))


def test_reassemble_gradients():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    m = torch.rand(1, 9, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b: carafe_reassemble(a, b, 3, 1, 2), (x, m))


def test_reassemble_bad_inputs():
    x = torch.zeros(1, 3, 2, 2)
    with pytest.raises(ValueError, match='odd'):
        carafe_reassemble(x, torch.zeros(1, 16, 4, 4), 4, 1, 2)
    with pytest.raises(ValueError, match='divisible'):
        carafe_reassemble(x, torch.zeros(1, 18, 4, 4), 3, 2, 2)
    with pytest.raises(ValueError, match='masks must have shape'):
        carafe_reassemble(x, torch.zeros(1, 9, 3, 3), 3, 1, 2)


def test_pack_on_cpu_matches_definition():
    torch.manual_seed(0)
    pack = CARAFEPackWithFallback(
        channels=8,
        scale_factor=2,
        up_kernel=5,
        encoder_kernel=3,
        compressed_channels=64)
    assert isinstance(pack, CARAFEPack)
    # the parameters of mmcv's CARAFEPack: compressor 8->64, encoder 64->100
    assert pack.channel_compressor.weight.shape == (64, 8, 1, 1)
    assert pack.content_encoder.weight.shape == (5 * 5 * 2 * 2, 64, 3, 3)
    torch.nn.init.normal_(pack.content_encoder.weight, std=0.05)
    x = torch.randn(2, 8, 4, 5)
    out = pack(x)
    assert out.shape == (2, 8, 8, 10)
    # kernels by hand: encoder -> pixel shuffle -> softmax over the 25 taps
    enc = pack.content_encoder(pack.channel_compressor(x))
    kernels = F.pixel_shuffle(enc, 2)
    kernels = kernels.view(2, 1, 25, 8, 10).softmax(dim=2).view(2, 25, 8, 10)
    assert torch.allclose(kernels.sum(1), torch.ones(2, 8, 10))
    ref = _naive_carafe(x.double(), kernels.detach().double(), 5, 1, 2)
    assert torch.allclose(out.double(), ref, atol=1e-5)
    out.sum().backward()
    assert pack.content_encoder.weight.grad.abs().sum() > 0


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason='needs a GPU: '
    "mmcv's carafe op has no CPU kernel")
def test_fallback_matches_mmcv_op_on_gpu():
    torch.manual_seed(0)
    pack = CARAFEPackWithFallback(channels=16, scale_factor=2).cuda()
    torch.nn.init.normal_(pack.content_encoder.weight, std=0.05)
    x = torch.randn(2, 16, 7, 7, device='cuda')
    out_op = pack(x)
    pack.force_fallback = True
    out_fb = pack(x)
    assert torch.allclose(out_op, out_fb, atol=1e-5)


def test_mask_head_uses_fallback_and_runs_on_cpu():
    head = MODELS.build(
        ConfigDict(
            type='FCNMaskHeadWithCARAFEFallback',
            num_convs=1,
            in_channels=8,
            conv_out_channels=8,
            num_classes=3,
            upsample_cfg=dict(
                type='carafe',
                scale_factor=2,
                up_kernel=5,
                up_group=1,
                encoder_kernel=3,
                encoder_dilation=1,
                compressed_channels=64),
            predictor_cfg=dict(
                type='LearnableTempNormedConv2d', temperature_init=4.5)))
    head.init_weights()
    assert type(head.upsample) is CARAFEPackWithFallback
    assert head.upsample.compressed_channels == 64
    out = head(torch.randn(2, 8, 14, 14))
    assert out.shape == (2, 3, 28, 28)
    out.sum().backward()
    assert head.conv_logits.temperature.grad is not None
    # with another upsampler it is exactly FCNMaskHead
    plain = MODELS.build(
        ConfigDict(
            type='FCNMaskHeadWithCARAFEFallback',
            num_convs=1,
            in_channels=8,
            conv_out_channels=8,
            num_classes=3))
    assert isinstance(plain.upsample, torch.nn.ConvTranspose2d)


def test_falls_back_when_mmcv_has_no_kernel_for_the_device(monkeypatch):
    """Pretend mmcv's op might run on CPU: the real mmcv call fails ('...
    implementation for device cpu not found'), the pack warns once and uses
    the PyTorch reassembly."""
    from mmlt.det.models.layers import carafe_fallback
    monkeypatch.setattr(carafe_fallback, '_mmcv_op_may_run', lambda x: True)
    torch.manual_seed(0)
    pack = CARAFEPackWithFallback(channels=4, scale_factor=2, up_kernel=3)
    x = torch.randn(1, 4, 3, 3)
    with pytest.warns(UserWarning, match='no carafe kernel for cpu'):
        out = pack(x)
    assert pack._op_missing_on == {'cpu'}
    pack.force_fallback = True
    assert torch.equal(out, pack(x))
    # mmcv's own pack really cannot run on CPU
    plain = CARAFEPack(channels=4, scale_factor=2, up_kernel=3)
    with pytest.raises(RuntimeError, match='implementation for device cpu'):
        plain(x)
