import pytest
import torch

from mmlt.models.backbones import ResNet32Cifar, ZeroPadShortcut


@pytest.mark.parametrize('depth', [20, 32, 44, 56, 110])
def test_depths(depth):
    model = ResNet32Cifar(depth=depth)
    assert [len(model.layer1), len(model.layer2), len(model.layer3)] == \
        [(depth - 2) // 6] * 3
    out = model(torch.randn(2, 3, 32, 32))
    assert len(out) == 1 and out[0].shape == (2, 64, 8, 8)


def test_resnet32_parameter_count_matches_ldam():
    # LDAM-DRW's resnet32 (option A): 0.46M parameters, of which the
    # classifier 64*C + C (464,154 in all for CIFAR-10); backbone only:
    convs = 3 * 16 * 9 + 10 * 16 * 16 * 9 + (16 * 32 * 9 + 9 * 32 * 32 * 9) \
        + (32 * 64 * 9 + 9 * 64 * 64 * 9)
    bns = 2 * (16 + 2 * 5 * 16 + 2 * 5 * 32 + 2 * 5 * 64)
    model = ResNet32Cifar(depth=32, shortcut='A')
    assert sum(p.numel() for p in model.parameters()) == convs + bns


def test_option_b_has_projections():
    a = ResNet32Cifar(shortcut='A')
    b = ResNet32Cifar(shortcut='B')
    extra = sum(p.numel() for p in b.parameters()) - \
        sum(p.numel() for p in a.parameters())
    assert extra == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert isinstance(a.layer2[0].downsample, ZeroPadShortcut)
    assert isinstance(b.layer2[0].downsample, torch.nn.Sequential)
    with pytest.raises(ValueError, match='shortcut'):
        ResNet32Cifar(shortcut='C')
    with pytest.raises(ValueError, match='depth'):
        ResNet32Cifar(depth=18)


def test_zero_pad_shortcut():
    x = torch.arange(2 * 4 * 4 * 4, dtype=torch.float).view(2, 4, 4, 4)
    out = ZeroPadShortcut(4, 8, 2)(x)
    assert out.shape == (2, 8, 2, 2)
    torch.testing.assert_close(out[:, 2:6], x[:, :, ::2, ::2])
    assert out[:, :2].abs().sum() == 0 and out[:, 6:].abs().sum() == 0


def test_frozen_stages_and_norm_eval():
    model = ResNet32Cifar(frozen_stages=3, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.parameters())
    assert not model.layer3[0].bn1.training


def test_channels_last_gives_the_same_outputs():
    nchw = ResNet32Cifar(channels_last=False)
    nhwc = ResNet32Cifar(channels_last=True)
    nhwc.load_state_dict(nchw.state_dict())
    assert nhwc.layer1[0].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    nchw.eval()
    nhwc.eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(nhwc(x)[0], nchw(x)[0], atol=1e-5, rtol=1e-5)
