# Copyright (c) mmlt contributors. All rights reserved.
"""FastDropPath: identity when off, mmcv's masks from the same RNG state,
keep rate and scaling, gradients, registry."""
import pytest
import torch
from mmcv.cnn.bricks.drop import DropPath
from mmengine.registry import MODELS

from mmlt.models.layers import FastDropPath


def test_identity_in_eval_and_without_drop():
    x = torch.randn(4, 3, 5)
    module = FastDropPath(drop_prob=0.5).eval()
    assert module(x) is x
    module = FastDropPath(drop_prob=0.).train()
    assert module(x) is x


@pytest.mark.parametrize('dtype, tol', [(torch.float32, 1e-6),
                                        (torch.float64, 1e-15)])
@pytest.mark.parametrize('shape', [(64, 7, 3), (64, 2, 3, 3), (64, )])
def test_same_seed_same_output_as_mmcv(dtype, tol, shape):
    x = torch.randn(shape, dtype=dtype)
    host, fast = DropPath(0.3).train(), FastDropPath(0.3).train()
    torch.manual_seed(1)
    ref = host(x)
    torch.manual_seed(1)
    out = fast(x)
    assert out.dtype == dtype
    # the same samples dropped, the kept ones equal up to rounding
    assert torch.equal(out == 0, ref == 0)
    assert 0 < int((ref.reshape(shape[0], -1) == 0).all(1).sum()) < shape[0]
    torch.testing.assert_close(out, ref, rtol=tol, atol=0)


def test_keep_rate_scaling_and_gradient():
    keep = 0.75
    module = FastDropPath(drop_prob=1 - keep).train()
    x = torch.ones(20000, 2, requires_grad=True)
    torch.manual_seed(0)
    out = module(x)
    kept = out[:, 0] != 0
    # whole samples: both entries of a row kept or dropped together
    assert torch.equal(kept, out[:, 1] != 0)
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / keep))
    assert abs(kept.double().mean().item() - keep) < 0.01  # 5 std
    assert abs(out.mean().item() - 1) < 0.02  # expectation x
    out.sum().backward()
    torch.testing.assert_close(x.grad, out.detach())  # d(x*m)/dx = m


def test_drop_prob_one_gives_zeros():
    out = FastDropPath(drop_prob=1.).train()(torch.randn(4, 3))
    assert torch.equal(out, torch.zeros(4, 3))  # mmcv's: NaN (x / 0 * 0)


def test_registered_in_the_root_registry():
    module = MODELS.build(dict(type='FastDropPath', drop_prob=0.2))
    assert isinstance(module, FastDropPath) and module.drop_prob == 0.2
