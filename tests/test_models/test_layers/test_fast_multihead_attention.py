# Copyright (c) mmlt contributors. All rights reserved.
"""FastMultiheadAttention: the host's outputs and gradients (float64), with
``unbind`` in the backward graph instead of three selects."""
import copy

import pytest
import torch
from mmpretrain.models.utils import MultiheadAttention

from mmlt.models.layers import FastMultiheadAttention


def host_and_fast(**kwargs):
    torch.manual_seed(0)
    host = MultiheadAttention(**kwargs).double()
    with torch.no_grad():  # non-trivial biases and layer scale
        for param in host.parameters():
            param.add_(torch.randn_like(param) * 0.1)
    fast = copy.deepcopy(host)
    fast.__class__ = FastMultiheadAttention
    return host, fast


def run(module, x):
    x = x.clone().requires_grad_()
    out = module(x)
    out.backward(torch.cos(out))  # a non-uniform upstream gradient
    grads = {n: p.grad for n, p in module.named_parameters()}
    return out.detach(), x.grad, grads


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(embed_dims=12, num_heads=3, qkv_bias=True),
        dict(embed_dims=12, num_heads=3, qkv_bias=False),
        dict(
            embed_dims=12,
            num_heads=2,
            proj_bias=False,
            layer_scale_init_value=0.1),
        # v_shortcut with other input dims (the host's one-head case)
        dict(embed_dims=8, num_heads=1, input_dims=6, v_shortcut=True),
        # qk_scale: the host's python attention (kept as the host has it)
        dict(embed_dims=12, num_heads=3, qk_scale=0.5),
    ])
def test_outputs_and_gradients_equal_the_host(kwargs):
    host, fast = host_and_fast(**kwargs)
    assert fast.state_dict().keys() == host.state_dict().keys()
    x = torch.randn(
        2,
        5,
        kwargs.get('input_dims', kwargs['embed_dims']),
        dtype=torch.float64)
    for mode in (False, True):
        host.train(mode)
        fast.train(mode)
        host.zero_grad()
        fast.zero_grad()
        ref_out, ref_dx, ref_grads = run(host, x)
        out, dx, grads = run(fast, x)
        torch.testing.assert_close(out, ref_out, rtol=0, atol=1e-12)
        torch.testing.assert_close(dx, ref_dx, rtol=0, atol=1e-12)
        assert grads.keys() == ref_grads.keys()
        for name, grad in grads.items():
            torch.testing.assert_close(
                grad, ref_grads[name], rtol=0, atol=1e-12, msg=name)


def test_dropouts_draw_as_the_host():
    """Attention dropout, projection dropout and drop path in training:
    from the same RNG state the same elements are dropped."""
    host, fast = host_and_fast(
        embed_dims=12,
        num_heads=3,
        attn_drop=0.3,
        proj_drop=0.2,
        dropout_layer=dict(type='DropPath', drop_prob=0.5))
    host.train()
    fast.train()
    x = torch.randn(8, 5, 12, dtype=torch.float64)
    torch.manual_seed(1)
    ref = host(x)
    torch.manual_seed(1)
    out = fast(x)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)


def test_backward_unbinds_instead_of_selecting():
    _, fast = host_and_fast(embed_dims=12, num_heads=3)
    out = fast(torch.randn(2, 5, 12, dtype=torch.float64))
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(f for f, _ in node.next_functions)
    names = {type(node).__name__ for node in seen}
    assert 'UnbindBackward0' in names
    assert 'SelectBackward0' not in names
