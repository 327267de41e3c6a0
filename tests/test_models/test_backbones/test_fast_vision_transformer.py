# Copyright (c) mmlt contributors. All rights reserved.
"""FastDistilledVisionTransformer / FastVisionTransformer: the host's
state-dict keys, every attention and drop path re-classed, the host's outputs
(eval) and outputs and gradients with drop path in training (float64)."""
import pytest
import torch
from mmcv.cnn.bricks.drop import DropPath
from mmpretrain.models.backbones import (DistilledVisionTransformer,
                                         VisionTransformer)
from mmpretrain.models.utils import MultiheadAttention

from mmlt.models.backbones import (FastDistilledVisionTransformer,
                                   FastVisionTransformer, use_fast_vit_layers)
from mmlt.models.layers import FastDropPath, FastMultiheadAttention
from mmlt.registry import MODELS

ARCH = dict(embed_dims=24, num_layers=3, num_heads=3, feedforward_channels=48)
PAIRS = [(DistilledVisionTransformer, FastDistilledVisionTransformer),
         (VisionTransformer, FastVisionTransformer)]


def leaves(out):
    """The tensors of a backbone output (tuples of tensors or of tuples)."""
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for o in out for t in leaves(o)]


def build(cls, **kwargs):
    torch.manual_seed(0)
    model = cls(arch=ARCH, img_size=16, patch_size=4, **kwargs)
    model.init_weights()
    return model.double()


@pytest.mark.parametrize('host_cls, fast_cls', PAIRS)
def test_layers_reclassed_and_keys_kept(host_cls, fast_cls):
    host = build(host_cls, drop_path_rate=0.1)
    fast = build(fast_cls, drop_path_rate=0.1)
    assert isinstance(fast, host_cls)
    assert list(fast.state_dict()) == list(host.state_dict())
    for name, value in host.state_dict().items():
        assert fast.state_dict()[name].shape == value.shape, name
    attns = [m for m in fast.modules() if isinstance(m, MultiheadAttention)]
    drops = [m for m in fast.modules() if isinstance(m, DropPath)]
    assert len(attns) == 3 and len(drops) == 6  # attention + FFN per layer
    assert all(type(m) is FastMultiheadAttention for m in attns)
    assert all(type(m) is FastDropPath for m in drops)
    assert [m.drop_prob for m in drops] == [
        m.drop_prob for m in host.modules() if isinstance(m, DropPath)
    ]
    assert use_fast_vit_layers(fast) == 0  # nothing left to re-class


@pytest.mark.parametrize('host_cls, fast_cls', PAIRS)
def test_outputs_and_gradients_equal_the_host(host_cls, fast_cls):
    x = torch.randn(4, 3, 16, 16, dtype=torch.float64)
    for rate, mode in ((0., False), (0.3, True)):
        host = build(host_cls, drop_path_rate=rate)
        fast = build(fast_cls, drop_path_rate=rate)
        fast.load_state_dict(host.state_dict(), strict=True)
        host.train(mode)
        fast.train(mode)
        torch.manual_seed(1)  # the same drop-path masks on both sides
        ref = host(x)
        torch.manual_seed(1)
        out = fast(x)
        assert len(out) == len(ref)
        for o, r in zip(leaves(out), leaves(ref)):
            torch.testing.assert_close(o, r, rtol=0, atol=1e-12)
        if mode:
            torch.stack([o.sum() for o in leaves(ref)]).sum().backward()
            torch.stack([o.sum() for o in leaves(out)]).sum().backward()
            ref_grads = dict(host.named_parameters())
            for name, param in fast.named_parameters():
                torch.testing.assert_close(
                    param.grad,
                    ref_grads[name].grad,
                    rtol=0,
                    atol=1e-12,
                    msg=name)


def test_built_from_the_registry():
    model = MODELS.build(
        dict(
            type='FastDistilledVisionTransformer',
            arch=ARCH,
            img_size=16,
            patch_size=4))
    assert type(model) is FastDistilledVisionTransformer
    cls_token, dist_token = model(torch.randn(2, 3, 16, 16))[-1]
    assert cls_token.shape == dist_token.shape == (2, 24)
