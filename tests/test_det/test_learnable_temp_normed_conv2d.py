# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmcv.cnn import build_conv_layer
from mmdet.models.layers import NormedConv2d

from mmlt.det.models.layers import LearnableTempNormedConv2d


def test_cosine_logits_scaled_by_tau_squared():
    torch.manual_seed(0)
    conv = LearnableTempNormedConv2d(4, 3, 1, temperature_init=4.5)
    assert isinstance(conv, NormedConv2d)
    assert conv.scale.item() == pytest.approx(20.25)
    x = torch.randn(2, 4, 5, 5)
    out = conv(x)
    # by hand at one location: 20.25 * <x/|x|, w/|w|> + b
    v = x[1, :, 2, 3]
    w = conv.weight[2, :, 0, 0]
    expected = 20.25 * torch.dot(v / v.norm(), w / w.norm()) + conv.bias[2]
    assert out[1, 2, 2, 3].item() == pytest.approx(expected.item(), rel=1e-4)
    # |logit - bias| <= tau^2 (cosine bounded by 1)
    assert ((out - conv.bias.view(1, 3, 1, 1)).abs() <= 20.25 + 1e-4).all()


def test_temperature_is_learned():
    conv = LearnableTempNormedConv2d(4, 3, 1)
    names = [n for n, _ in conv.named_parameters()]
    assert 'temperature' in names
    x = torch.randn(2, 4, 3, 3)
    out = conv(x)
    out.sum().backward()
    # d(sum out)/d tau = 2 tau * sum(cos) = 2 / tau * sum(out - bias)
    expected = 2 / 4.5 * (out - conv.bias.view(1, 3, 1, 1)).sum()
    assert conv.temperature.grad.item() == pytest.approx(
        expected.item(), rel=1e-4)


def test_norm_over_kernel_and_built_by_name():
    conv = build_conv_layer(
        dict(
            type='LearnableTempNormedConv2d',
            temperature_init=2.,
            norm_over_kernel=True),
        4,
        2,
        3,
        padding=1)
    assert isinstance(conv, LearnableTempNormedConv2d)
    x = torch.ones(1, 4, 3, 3)
    out = conv(x)
    # centre: all 9 taps see x/|x| = 1/2 per channel
    w = conv.weight[0]
    expected = 4. * (w / w.norm()).sum() * 0.5 + conv.bias[0]
    assert out[0, 0, 1, 1].item() == pytest.approx(expected.item(), rel=1e-4)
    with pytest.raises(ValueError, match='temperature_init'):
        LearnableTempNormedConv2d(4, 2, 1, temperature_init=0.)
