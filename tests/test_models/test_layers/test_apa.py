# Copyright (c) mmlt contributors. All rights reserved.
"""APA / AGLU: formula, special cases, gradients, extremes, shapes, registry.

Expected values are computed here from the formula
``eta = (1 + lambda e^(-kappa z))^(-1/lambda)`` with Python's ``math`` in
double precision, never by calling the implementation twice.
"""
import math
import subprocess
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from mmlt.models.layers import AGLU, APA, APA_INIT_RANGES, aglu, apa
from mmlt.models.layers import apa_fused as F_apa

IMPLS = ('fused', 'autograd')


def eta_hand(z, kappa, lam):
    # (1 + lam e^(-kappa z))^(-1/lam), with log1p for lambda near 0
    return math.exp(-math.log1p(lam * math.exp(-kappa * z)) / lam)


def grads_hand(z, kappa, lam):
    """(dAGLU/dz, dAGLU/dkappa, dAGLU/dlambda, legacy dAGLU/dlambda)."""
    eta = eta_hand(z, kappa, lam)
    d = lam + math.exp(kappa * z)
    s = 1.0 + lam * math.exp(-kappa * z)
    return (eta + kappa * z * eta / d, z * z * eta / d,
            z * eta * (math.log(s) / lam**2 - 1.0 / (lam * d)),
            -(z / lam) * eta / d)


@pytest.fixture
def eager_kernels():
    """Run the fused path's analytic kernels without torch.compile."""
    F_apa.set_apa_compile(False)
    yield
    F_apa.set_apa_compile(True)


def _p(v, dtype=torch.float64, requires_grad=False):
    return torch.tensor([v], dtype=dtype, requires_grad=requires_grad)


# ----------------------------------------------------------------- formula
@pytest.mark.parametrize('impl', IMPLS)
def test_values_match_formula(impl, eager_kernels):
    zs = [-30., -4., -1.3, -0.2, 0., 0.7, 2.5, 9.]
    for kappa, lam in [(1.1, 0.4), (0.8, 2.5), (-0.6, 0.05), (3., 1e-3)]:
        z = torch.tensor(zs, dtype=torch.float64)
        out_apa = apa(z, _p(kappa), _p(lam), impl=impl)
        out_aglu = aglu(z, _p(kappa), _p(lam), impl=impl)
        exp_apa = torch.tensor([eta_hand(v, kappa, lam) for v in zs],
                               dtype=torch.float64)
        torch.testing.assert_close(out_apa, exp_apa, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(
            out_aglu, z * exp_apa, rtol=1e-12, atol=1e-14)
        # float32 compute
        out32 = aglu(
            z.float(),
            _p(kappa, torch.float32),
            _p(lam, torch.float32),
            impl=impl)
        torch.testing.assert_close(
            out32, (z * exp_apa).float(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize('impl', IMPLS)
def test_special_cases(impl, eager_kernels):
    z = torch.linspace(-6, 6, 49, dtype=torch.float64)
    sig = torch.tensor([1 / (1 + math.exp(-v)) for v in z.tolist()],
                       dtype=torch.float64)
    one = _p(1.)
    # lambda = kappa = 1: sigmoid and SiLU
    torch.testing.assert_close(apa(z, one, one, impl=impl), sig)
    torch.testing.assert_close(aglu(z, one, one, impl=impl), z * sig)
    # lambda -> 0: the Gumbel CDF exp(-e^(-kappa z)) (error ~ lambda)
    zg = torch.linspace(-2, 6, 33, dtype=torch.float64)
    gumbel = torch.tensor([math.exp(-math.exp(-1.5 * v)) for v in zg],
                          dtype=torch.float64)
    out = apa(zg, _p(1.5), _p(1e-7), lambda_min=1e-9, impl=impl)
    torch.testing.assert_close(out, gumbel, rtol=0, atol=1e-5)
    # kappa -> inf: step and ReLU (z = 0 gives 0 for AGLU)
    zr = torch.arange(-30, 31, dtype=torch.float64) / 10
    out = aglu(zr, _p(1e4), _p(0.7), impl=impl)
    torch.testing.assert_close(out, zr.clamp_min(0), rtol=0, atol=1e-12)
    step = apa(zr[zr != 0], _p(1e4), _p(0.7), impl=impl)
    torch.testing.assert_close(step, (zr[zr != 0] > 0).double())
    # eta(0) = (1 + lambda)^(-1/lambda); kappa = 0: constant gate
    for lam in (0.3, 1., 4.):
        out = apa(
            torch.zeros(3, dtype=torch.float64), _p(0.), _p(lam), impl=impl)
        assert out.tolist() == pytest.approx(
            [(1 + lam)**(-1 / lam)] * 3, rel=1e-12)


# --------------------------------------------------------------- gradients
def test_numeric_example_of_the_spec(eager_kernels):
    """z=1.3, lambda=0.4, kappa=1.1: true dAGLU/dlambda = +0.0262, the
    official custom backward gives -0.565."""
    hand = grads_hand(1.3, 1.1, 0.4)
    assert hand[2] == pytest.approx(0.0262, abs=5e-5)
    assert hand[3] == pytest.approx(-0.565, abs=5e-4)
    # legacy mode computes at the official relu(lambda) + 1e-8
    legacy = grads_hand(1.3, 1.1, 0.4 + 1e-8)
    for flag, want in ((False, hand[:3]), (True, legacy[:2] + legacy[3:])):
        z = _p(1.3, requires_grad=True)
        kappa = _p(1.1, requires_grad=True)
        lam = _p(0.4, requires_grad=True)
        aglu(z, kappa, lam, legacy_lambda_grad=flag).sum().backward()
        # the z- and kappa-gradients are the correct ones in both modes
        assert [z.grad.item(),
                kappa.grad.item(),
                lam.grad.item()] == pytest.approx(
                    want, rel=1e-10)


def test_lambda_floor_official_only_in_legacy_mode(eager_kernels):
    """Default: lambda clamped at lambda_min (no gradient below); legacy:
    the official relu(lambda) + 1e-8, so a negative lambda acts as 1e-8 and
    a positive one is shifted by 1e-8."""
    z = torch.tensor([-2., 0.5, 3.], dtype=torch.float64)
    kappa = _p(1.1)
    for lam, floor in ((-0.41, 1e-4), (0.4, 0.4)):
        got = aglu(z, kappa, _p(lam), lambda_min=1e-4)
        want = [v * eta_hand(v, 1.1, floor) for v in z.tolist()]
        assert got.tolist() == pytest.approx(want, rel=1e-12)
    for lam, official in ((-0.41, 1e-8), (0.4, 0.4 + 1e-8)):
        got = aglu(z, kappa, _p(lam), legacy_lambda_grad=True)
        want = [v * eta_hand(v, 1.1, official) for v in z.tolist()]
        assert got.tolist() == pytest.approx(want, rel=1e-12)
    lam = _p(-0.41, requires_grad=True)
    aglu(z, kappa, lam, legacy_lambda_grad=True).sum().backward()
    assert lam.grad.item() == 0.  # relu: no gradient below zero


def test_legacy_flag_on_the_module(eager_kernels):
    torch.manual_seed(0)
    z = torch.randn(2, 3, 4, dtype=torch.float64)
    grads = []
    for legacy in (False, True):
        m = AGLU(
            lambda_init=0.4, kappa_init=1.1,
            legacy_lambda_grad=legacy).double()
        m(z).sum().backward()
        grads.append(m.lambda_param.grad.item())
    # the parameters were drawn in float32: use their exact values
    k, lam = m.kappa_param.item(), m.lambda_param.item()
    legacy_hand = sum(
        grads_hand(v, k, lam + 1e-8)[3] for v in z.flatten().tolist())
    true_hand = sum(grads_hand(v, k, lam)[2] for v in z.flatten().tolist())
    assert grads == pytest.approx([true_hand, legacy_hand], rel=1e-10)
    with pytest.raises(ValueError, match="legacy_lambda_grad=True needs"):
        AGLU(legacy_lambda_grad=True, impl='autograd')


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('num', [1, 3])
@pytest.mark.parametrize('fn', [aglu, apa])
def test_gradcheck_float64(fn, num, impl, eager_kernels):
    torch.manual_seed(1)
    z = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    kappa = torch.empty(num, dtype=torch.float64).uniform_(-1, 1.5)
    lam = torch.empty(num, dtype=torch.float64).uniform_(0.05, 2.)
    kappa.requires_grad_()
    lam.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b, c: fn(a, b, c, impl=impl),
                                    (z, kappa, lam))


def test_compiled_kernels():
    """The lazily compiled CPU kernels: channel-wise float64 graphs pass
    gradcheck; the layer-wise float32 graphs (the production path) agree
    with the eager kernels."""
    if not F_apa.apa_compile_enabled():
        pytest.skip('MMLT_APA_COMPILE=0')
    torch.manual_seed(2)
    z = torch.randn(4, 3, 5, 5, dtype=torch.float64, requires_grad=True)
    kappa = torch.empty(3, dtype=torch.float64).uniform_(0.5, 1.5)
    lam = torch.empty(3, dtype=torch.float64).uniform_(0.1, 1.5)
    kappa.requires_grad_()
    lam.requires_grad_()
    assert torch.autograd.gradcheck(aglu, (z, kappa, lam))
    assert not F_apa._FAILED, F_apa._FAILED
    assert ('bwd', False, False) in F_apa._COMPILED

    def run(compiled):
        F_apa.set_apa_compile(compiled)
        try:
            args = [
                z.detach().float().requires_grad_(),
                torch.tensor([1.1], requires_grad=True),
                torch.tensor([0.02], requires_grad=True)
            ]
            y = aglu(*args)
            y.square().sum().backward()
            return [y.detach()] + [a.grad for a in args]
        finally:
            F_apa.set_apa_compile(True)

    for a, b in zip(run(True), run(False)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # extremes through the compiled float32 kernels (inlined exp included)
    ext = torch.tensor(
        [-1e4, -300., -88., -87., -20., -1e-3, 0., 1e-3, 20., 300.,
         1e4]).requires_grad_()
    for lam_v in (1e-4, 0.3, 30.):
        lam = torch.tensor([lam_v], requires_grad=True)
        kappa = torch.tensor([1.], requires_grad=True)
        y = aglu(ext, kappa, lam)
        y.sum().backward()
        for t in (y, ext.grad, kappa.grad, lam.grad):
            assert torch.isfinite(t).all(), (lam_v, t)
        exp = [
            v * eta_hand(v, 1., lam_v) if v > -1e3 else 0.
            for v in ext.tolist()
        ]
        assert y.tolist() == pytest.approx(exp, rel=1e-4, abs=1e-6)
        ext.grad = None
    assert not F_apa._FAILED, F_apa._FAILED


def test_float32_gradients_accurate_at_small_lambda(eager_kernels):
    """fp32 fused gradients vs the float64 reference, lambda at its floor."""
    torch.manual_seed(3)
    z64 = torch.randn(1000, dtype=torch.float64) * 3
    for kappa_v, lam_v in ((1.0, 1e-4), (1.2, 0.3), (-0.7, 2.)):
        out = []
        for dtype, impl in ((torch.float32, 'fused'), (torch.float64,
                                                       'autograd')):
            z = z64.to(dtype).detach().clone().requires_grad_()
            kappa, lam = _p(kappa_v, dtype, True), _p(lam_v, dtype, True)
            aglu(z, kappa, lam, impl=impl).sum().backward()
            out.append(
                [z.grad.double(),
                 kappa.grad.double(),
                 lam.grad.double()])
        for got, ref in zip(*out):
            torch.testing.assert_close(
                got, ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())


def test_lambda_clamp_zero_gradient_below_floor(eager_kernels):
    m = AGLU(lambda_init=0.5, kappa_init=1.)
    with torch.no_grad():
        m.lambda_param.fill_(-0.3)
    out = m(torch.linspace(-2, 2, 9))
    out.sum().backward()
    assert torch.isfinite(out).all()
    assert m.lambda_param.grad.item() == 0.
    expected = [
        v * eta_hand(v, 1., 1e-4) for v in torch.linspace(-2, 2, 9).tolist()
    ]
    assert out.tolist() == pytest.approx(expected, rel=1e-5, abs=1e-7)


# ---------------------------------------------------------------- extremes
@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('dtype',
                         [torch.float32, torch.float16, torch.bfloat16])
def test_no_nan_at_extremes(impl, dtype, eager_kernels):
    big = 6e4 if dtype == torch.float16 else 1e4
    z = torch.tensor(
        [-big, -1e3, -88., -10., -1e-3, 0., 1e-3, 10., 88., 1e3, big],
        dtype=dtype)
    for kappa_v in (-3., 0., 1., 50.):
        for lam_v in (0., 1e-4, 1., 30.):  # 0 is clamped to the floor
            z_ = z.clone().requires_grad_()
            kappa = torch.tensor([kappa_v], requires_grad=True)
            lam = torch.tensor([lam_v], requires_grad=True)
            for fn in (aglu, apa):
                out = fn(z_, kappa, lam, impl=impl)
                assert out.dtype == dtype
                assert torch.isfinite(out).all(), (fn, kappa_v, lam_v, out)
                out.float().sum().backward()
                for t in (z_.grad, kappa.grad, lam.grad):
                    assert torch.isfinite(t).all(), (fn, kappa_v, lam_v)
                z_.grad = kappa.grad = lam.grad = None
    gate = apa(z.float(), torch.tensor([1.]), torch.tensor([1e-4]), impl=impl)
    assert ((gate >= 0) & (gate <= 1)).all()


def test_fp32_compute_under_autocast(eager_kernels):
    conv = torch.nn.Conv2d(3, 4, 3)
    act = AGLU(lambda_init=1e-4)
    x = torch.randn(2, 3, 8, 8) * 1e3
    with torch.autocast('cpu', dtype=torch.bfloat16):
        h = conv(x)
        assert h.dtype == torch.bfloat16
        out = act(h)
    assert out.dtype == torch.bfloat16 and torch.isfinite(out).all()
    out.float().sum().backward()
    assert torch.isfinite(act.lambda_param.grad).all()
    # the half input is computed in float32: same as the fp32 path rounded
    ref = act(h.float()).to(torch.bfloat16)
    torch.testing.assert_close(out, ref)


# ------------------------------------------------------------------ shapes
def test_channelwise_shapes_and_values(eager_kernels):
    torch.manual_seed(4)
    kappas, lams = [0.5, 1., 2.], [0.2, 1., 3.]
    m = AGLU(num_parameters=3)
    with torch.no_grad():
        m.kappa_param.copy_(torch.tensor(kappas))
        m.lambda_param.copy_(torch.tensor(lams))
    assert m.lambda_param.shape == (3, )
    cases = [((2, 3, 4, 5), 1, None), ((2, 3), 1, None), ((2, 7, 3), 2, None),
             ((2, 3, 7), 1, 1), ((2, 4, 3, 6), 1, None)]
    for shape, dim, channel_dim in cases:
        m.channel_dim = channel_dim
        if shape == (2, 4, 3, 6):
            with pytest.raises(ValueError, match='has 4 channels along dim 1'):
                m(torch.randn(*shape))
            continue
        x = torch.randn(*shape)
        y = m(x)
        assert y.shape == x.shape
        for c in range(3):
            xc = x.select(dim, c)
            exp = [
                v * eta_hand(v, kappas[c], lams[c])
                for v in xc.flatten().tolist()
            ]
            assert y.select(dim, c).flatten().tolist() == pytest.approx(
                exp, rel=1e-5, abs=1e-6)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    m.channel_dim = None
    m(x).sum().backward()
    assert m.kappa_param.grad.shape == (3, ) and x.grad.shape == x.shape


def test_init_ranges_and_arguments():
    torch.manual_seed(5)
    m = AGLU(num_parameters=500)
    assert (m.kappa_param >= 0.8).all() and (m.kappa_param <= 1.2).all()
    assert (m.lambda_param >= 0).all() and (m.lambda_param <= 1).all()
    g = APA(num_parameters=500, kappa_init=APA_INIT_RANGES['apa_se'][1])
    assert (g.kappa_param <= 0).all() and (g.kappa_param >= -1).all()
    d = AGLU(kappa_init=1.25, lambda_init=0.5)
    assert d.kappa_param.item() == 1.25 and d.lambda_param.item() == 0.5
    names = [n for n, _ in AGLU().named_parameters()]
    assert names == ['lambda_param', 'kappa_param']
    AGLU(inplace=True)  # accepted and ignored (mmcv ConvModule passes it)
    bad = [
        (dict(num_parameters=0), 'num_parameters must be a positive int'),
        (dict(lambda_min=0.), 'lambda_min must be > 0'),
        (dict(kappa_init=(1., 0.)), 'low <= high'),
        (dict(lambda_init=(-1., 0.)), 'lambda_init must reach above 0'),
        (dict(kappa_init=(1., 2., 3.)), r'\(low, high\) pair'),
        (dict(impl='cuda'), "impl must be one of"),
    ]
    for kwargs, msg in bad:
        with pytest.raises(ValueError, match=msg):
            AGLU(**kwargs)
    with pytest.raises(TypeError, match='floating-point input'):
        AGLU()(torch.ones(3, dtype=torch.long))


# -------------------------------------------------------- registry / scope
@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet'])
def test_builds_under_any_scope(scope):
    from mmcv.cnn import ConvModule, build_activation_layer
    if scope == 'mmdet':
        import mmdet.models  # noqa: F401  (registers the mmdet scope)
    with DefaultScope.overwrite_default_scope(scope):
        act = build_activation_layer(dict(type='AGLU', inplace=True))
        gate = build_activation_layer(dict(type='APA', kappa_init=(-1, 0)))
        conv = ConvModule(
            3, 4, 3, norm_cfg=dict(type='BN'), act_cfg=dict(type='AGLU'))
    assert isinstance(act, AGLU) and isinstance(gate, APA)
    assert isinstance(conv.activate, AGLU)
    assert conv(torch.randn(1, 3, 6, 6)).shape == (1, 4, 4, 4)


def test_import_is_lazy():
    """``import mmlt`` and building a layer compile nothing."""
    code = ('import mmlt, sys; from mmlt.models.layers import AGLU, '
            'apa_fused as f; AGLU(); '
            "print(len(f._COMPILED), 'mmlt.det' in sys.modules)")
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True).stdout.split()
    assert out[-2:] == ['0', 'False']


def test_compile_failure_falls_back_to_eager(monkeypatch):
    if not F_apa.apa_compile_enabled():
        pytest.skip('MMLT_APA_COMPILE=0')

    def broken_compile(*args, **kwargs):

        def fn(*a):
            raise RuntimeError('no compiler')

        return fn

    monkeypatch.setattr(F_apa, '_COMPILED', {})
    monkeypatch.setattr(F_apa, '_FAILED', {})
    monkeypatch.setattr(torch, 'compile', broken_compile)
    z = torch.linspace(-3, 3, 7)
    with pytest.warns(UserWarning, match='using the eager kernel'):
        out = aglu(z, torch.ones(1), torch.ones(1))
    torch.testing.assert_close(out, torch.nn.functional.silu(z))
    assert ('fwd', False, False) in F_apa._FAILED
