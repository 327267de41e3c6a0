# Copyright (c) mmlt contributors. All rights reserved.
import os
import socket
from unittest import mock

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import MultiStepParamScheduler

import mmlt  # noqa: F401
from mmlt.engine.optimizers import (AmpSAMOptimWrapper, SAMOptimWrapper,
                                    in_sam_perturbed_pass)
from mmlt.registry import OPTIM_WRAPPERS


class Quadratic(BaseModel):
    """loss = ||w||^2 / 2 (or w^2 for one weight), input ignored."""

    def __init__(self, init):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(init, dtype=torch.float64))
        self.perturbed = []

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.perturbed.append(in_sam_perturbed_pass())
        return dict(loss=0.5 * (self.w**2).sum())


class Net(BaseModel):
    """A tiny MLP with BatchNorm; loss = cross-entropy."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
        self.double()

    def forward(self, inputs, data_samples=None, mode='loss'):
        logits = self.net(inputs)
        return dict(loss=nn.functional.cross_entropy(logits, data_samples))


def batches(n=4, size=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [
        dict(
            inputs=torch.randn(size, 4, generator=g, dtype=torch.float64),
            data_samples=torch.randint(0, 3, (size, ), generator=g))
        for _ in range(n)
    ]


def sgd(model, **kw):
    kw = dict(lr=0.1, **kw)
    return torch.optim.SGD(model.parameters(), **kw)


def reference_sam(model,
                  data,
                  steps,
                  rho,
                  lr,
                  momentum=0.,
                  wd=0.,
                  accumulate=1,
                  adaptive=False):
    """SAM written from the paper's update, one micro-batch at a time."""
    opt = torch.optim.SGD(
        model.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
    params = list(model.parameters())
    for step in range(steps):
        total = [torch.zeros_like(p) for p in params]
        for micro in data[step * accumulate:(step + 1) * accumulate]:
            loss = model(**micro)['loss'] / accumulate
            grads = torch.autograd.grad(loss, params)
            if adaptive:
                norm = torch.stack([(p.abs() * g).norm()
                                    for p, g in zip(params, grads)]).norm()
            else:
                norm = torch.stack([g.norm() for g in grads]).norm()
            with torch.no_grad():
                es = [
                    rho * g / (norm + 1e-12) * (p * p if adaptive else 1)
                    for p, g in zip(params, grads)
                ]
                for p, e in zip(params, es):
                    p.add_(e)
            loss = model(**micro)['loss'] / accumulate
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, e, t, g in zip(params, es, total, grads):
                    p.sub_(e)
                    t.add_(g)
        for p, t in zip(params, total):
            p.grad = t
        opt.step()
        opt.zero_grad()


def test_registered_and_rho_in_groups():
    model = Net()
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='SAMOptimWrapper', rho=0.3, optimizer=sgd(model)))
    assert isinstance(wrapper, SAMOptimWrapper)
    assert all(g['rho'] == 0.3 and g['adaptive'] is False
               for g in wrapper.param_groups)
    with pytest.raises(ValueError, match='rho must be >= 0'):
        SAMOptimWrapper(sgd(model), rho=-0.1)
    with pytest.raises(ValueError, match='rho must be >= 0'):
        SAMOptimWrapper(sgd(model), rho=float('nan'))


def test_hand_computed_two_steps_one_weight():
    # L = w^2 / 2, g = w: e = rho * sign(w), w <- w - lr * (w + e)
    model = Quadratic([1.0])
    wrapper = SAMOptimWrapper(sgd(model), rho=0.1)
    data = dict(inputs=torch.zeros(1))
    model.train_step(data, wrapper)
    assert model.w.item() == pytest.approx(1 - 0.1 * 1.1, abs=1e-12)  # 0.89
    model.train_step(data, wrapper)
    assert model.w.item() == pytest.approx(0.89 - 0.1 * 0.99, abs=1e-12)
    # each step: one forward at w, one at w + e
    assert model.perturbed == [False, True, False, True]
    assert not in_sam_perturbed_pass()


def test_hand_computed_two_steps_vector():
    # w = (3, 4), L = ||w||^2 / 2: grad at w + e is w * (1 + rho / ||w||)
    model = Quadratic([3.0, 4.0])
    wrapper = SAMOptimWrapper(sgd(model), rho=0.5)
    data = dict(inputs=torch.zeros(1))
    model.train_step(data, wrapper)
    w1 = torch.tensor([3.0, 4.0], dtype=torch.float64) * (1 - 0.1 * 1.1)
    torch.testing.assert_close(model.w.data, w1, rtol=0, atol=1e-12)
    model.train_step(data, wrapper)
    w2 = w1 * (1 - 0.1 * (1 + 0.5 / 4.45))  # ||w1|| = 0.89 * 5 = 4.45
    torch.testing.assert_close(model.w.data, w2, rtol=0, atol=1e-12)


@pytest.mark.parametrize('adaptive', [False, True])
def test_matches_reference_with_momentum_decay_and_bn(adaptive):
    data = batches()
    ours, ref = Net(), Net()
    wrapper = SAMOptimWrapper(
        sgd(ours, momentum=0.9, weight_decay=5e-4), rho=0.2, adaptive=adaptive)
    for micro in data[:3]:
        ours.train_step(micro, wrapper)
    reference_sam(
        ref,
        data,
        3,
        rho=0.2,
        lr=0.1,
        momentum=0.9,
        wd=5e-4,
        adaptive=adaptive)
    for (name, a), b in zip(ours.state_dict().items(),
                            ref.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12, msg=name)
    # and it is not plain SGD
    plain = Net()
    opt = sgd(plain, momentum=0.9, weight_decay=5e-4)
    for micro in data[:3]:
        plain(**micro)['loss'].backward()
        opt.step()
        opt.zero_grad()
    assert (ours.net[0].weight - plain.net[0].weight).abs().max() > 1e-4


def test_gradient_accumulation():
    data = batches(n=4)
    ours, ref = Net(), Net()
    wrapper = SAMOptimWrapper(
        sgd(ours, momentum=0.9), rho=0.2, accumulative_counts=2)
    for micro in data:
        ours.train_step(micro, wrapper)
    reference_sam(ref, data, 2, rho=0.2, lr=0.1, momentum=0.9, accumulate=2)
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    assert all(p.grad is None or not p.grad.any() for p in ours.parameters())


def test_rho_follows_param_scheduler():
    model = Quadratic([1.0])
    wrapper = SAMOptimWrapper(sgd(model), rho=0.05)
    scheduler = MultiStepParamScheduler(
        wrapper, param_name='rho', milestones=[1], gamma=4., by_epoch=False)
    data = dict(inputs=torch.zeros(1))
    model.train_step(data, wrapper)  # rho 0.05: w = 1 - 0.1 * 1.05
    scheduler.step()
    assert wrapper.param_groups[0]['rho'] == pytest.approx(0.2)
    model.train_step(data, wrapper)  # rho 0.2
    assert model.w.item() == pytest.approx(
        0.895 - 0.1 * (0.895 + 0.2), abs=1e-12)


def test_update_params_without_recorded_forward_is_an_error():
    model = Quadratic([1.0])
    wrapper = SAMOptimWrapper(sgd(model), rho=0.1)
    loss = model(None)['loss']
    with pytest.raises(RuntimeError, match='optim_context'):
        wrapper.update_params(loss)
    # the recording does not outlive the context
    with wrapper.optim_context(model):
        pass
    assert '_run_forward' not in model.__dict__


def amp_wrapper(model, scaler):
    with mock.patch(
            'mmengine.optim.optimizer.amp_optimizer_wrapper.'
            'is_cuda_available',
            return_value=True):
        wrapper = AmpSAMOptimWrapper(
            optimizer=sgd(model), rho=0.2, dtype='bfloat16')
    wrapper.loss_scaler = scaler
    return wrapper


def test_amp_loss_scale_does_not_change_the_update():
    data = batches(n=2)

    def run(scaler):
        model = Net().float()
        wrapper = amp_wrapper(model, scaler)
        for micro in data:
            micro = dict(micro, inputs=micro['inputs'].float())
            model.train_step(micro, wrapper)
        return model

    scaled = run(torch.amp.GradScaler('cpu', init_scale=2.**10))
    unscaled = run(torch.amp.GradScaler('cpu', enabled=False))
    plain_sgd = Net().float()
    for a, b, c in zip(scaled.parameters(), unscaled.parameters(),
                       plain_sgd.parameters()):
        torch.testing.assert_close(a, b)
        assert not torch.equal(a, c)


def test_amp_overflow_skips_the_step():
    model = Quadratic([100.0]).float()  # scaled gradient 100 * 2^127: inf
    scaler = torch.amp.GradScaler('cpu', init_scale=2.**127)
    wrapper = amp_wrapper(model, scaler)
    model.train_step(dict(inputs=torch.zeros(1)), wrapper)
    assert model.w.item() == 100.0
    assert scaler.get_scale() < 2.**127
    assert model.perturbed == [False, True]  # the second pass still runs


def _ddp_worker(rank, port, result_path):
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    model = MMDistributedDataParallel(Net(), device_ids=None)
    wrapper = SAMOptimWrapper(
        sgd(model, momentum=0.9), rho=0.2, accumulative_counts=2)
    for step in range(2):
        for micro in range(2):
            model.train_step(
                batches(n=8)[4 * step + 2 * micro + rank], wrapper)
    if rank == 0:
        torch.save(model.module.state_dict(), result_path)
    else:
        torch.save(model.module.state_dict(), result_path + '.1')
    dist.destroy_process_group()


def reference_ddp(data):
    """The update 2 ranks x 2 accumulated micro-batches must make.

    Micro-batch 1 (no_sync): each rank perturbs with its own gradient.
    Micro-batch 2 (synchronising): the perturbation uses the rank average of
    the gradients; the step uses the rank average of all accumulated
    gradients at the perturbed points.
    """
    model = Net()
    opt = sgd(model, momentum=0.9)
    params = list(model.parameters())

    def grad(micro, at=None):
        if at is not None:
            with torch.no_grad():
                for p, e in zip(params, at):
                    p.add_(e)
        model.zero_grad()
        (model(**micro)['loss'] / 2).backward()
        gs = [p.grad.clone() for p in params]
        if at is not None:
            with torch.no_grad():
                for p, e in zip(params, at):
                    p.sub_(e)
        return gs

    def e_of(gs):
        norm = torch.stack([g.norm() for g in gs]).norm()
        return [0.2 * g / (norm + 1e-12) for g in gs]

    for step in range(2):
        total = [torch.zeros_like(p) for p in params]
        first = [data[4 * step + r] for r in range(2)]
        second = [data[4 * step + 2 + r] for r in range(2)]
        for micro in first:  # local perturbations
            for t, g in zip(total, grad(micro, e_of(grad(micro)))):
                t.add_(g / 2)
        avg = [sum(gs) / 2 for gs in zip(*[grad(m) for m in second])]
        e = e_of(avg)  # BN stats: each rank's own forward, as DDP
        for micro in second:
            for t, g in zip(total, grad(micro, e)):
                t.add_(g / 2)
        for p, t in zip(params, total):
            p.grad = t
        opt.step()
    return model


def test_ddp_two_processes_with_accumulation(tmp_path):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = str(sock.getsockname()[1])
    out = str(tmp_path / 'rank0.pth')
    mp.spawn(_ddp_worker, args=(port, out), nprocs=2, join=True)
    rank0 = torch.load(out)
    rank1 = torch.load(out + '.1')
    ref = reference_ddp(batches(n=8)).state_dict()
    for name, value in rank0.items():
        if 'running' in name or 'num_batches' in name:
            continue  # BN buffers: rank 0's are broadcast at each forward
        torch.testing.assert_close(value, rank1[name], rtol=0, atol=0)
        torch.testing.assert_close(
            value, ref[name], rtol=0, atol=1e-12, msg=name)
