# Copyright (c) mmlt contributors. All rights reserved.
"""Forward + backward time of AGLU against SiLU and ReLU on one tensor.

Every contender runs ``y = act(x); y.backward(g)`` on the same input (with
``requires_grad``) and upstream gradient; rounds are interleaved over the
contenders so that background load hits all of them alike. Reports the
median and the minimum per contender and the ratios of the medians to SiLU
and ReLU.

Contenders:

- ``relu``, ``silu``: torch's ``F.relu`` / ``F.silu``;
- ``aglu_fused``: :class:`mmlt.models.layers.AGLU` (custom autograd function,
  lazily ``torch.compile``-d CPU kernels; the compile happens in warm-up);
- ``aglu_fused_libm``: the same, compiled with the library ``exp`` /
  ``log1p`` instead of the inlined polynomials (``set_apa_fast_math``);
- ``aglu_fused_eager``: the same analytic kernels run eagerly;
- ``aglu_autograd``: the stable formula with plain autograd (the reference,
  close to the official code's autograd path).

Example (the lead's quiet-machine run)::

    .venv/bin/python benchmarks/apa_activation.py --shape 64 64 56 56 \\
        --repeats 20 --threads 0
"""
import argparse
import json
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from mmlt.models.layers import AGLU, set_apa_compile, set_apa_fast_math


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--shape', type=int, nargs='+', default=[64, 64, 56, 56])
    parser.add_argument(
        '--dtype',
        default='float32',
        choices=['float32', 'bfloat16', 'float64'])
    parser.add_argument(
        '--repeats', type=int, default=20, help='timed rounds per contender')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch threads (0: keep the default)')
    parser.add_argument(
        '--channelwise',
        action='store_true',
        help='AGLU with one (lambda, kappa) per channel')
    parser.add_argument(
        '--contenders',
        nargs='+',
        default=[
            'relu', 'silu', 'aglu_fused', 'aglu_fused_libm',
            'aglu_fused_eager', 'aglu_autograd'
        ])
    parser.add_argument(
        '--skip-slow',
        action='store_true',
        help='time aglu_autograd with 3 rounds only')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args()


def make_contenders(names, channels, channelwise):
    num = channels if channelwise else 1
    torch.manual_seed(0)
    fused = AGLU(num_parameters=num)
    reference = AGLU(num_parameters=num, impl='autograd')
    reference.load_state_dict(fused.state_dict())

    def plain(act):
        return lambda x, g: act(x).backward(g)

    def switched(setter):

        def run(x, g):  # forward and backward with the switch off
            setter(False)
            try:
                fused(x).backward(g)
            finally:
                setter(True)

        return run

    table = dict(
        relu=plain(F.relu),
        silu=plain(F.silu),
        aglu_fused=plain(fused),
        aglu_fused_libm=switched(set_apa_fast_math),
        aglu_fused_eager=switched(set_apa_compile),
        aglu_autograd=plain(reference))
    unknown = set(names) - set(table)
    if unknown:
        raise ValueError(f'unknown contenders {sorted(unknown)}; choose from '
                         f'{sorted(table)}')
    return {name: table[name] for name in names}


def step(run, x, g):
    x.grad = None
    run(x, g)


def main():
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    x = torch.randn(*args.shape, dtype=dtype).requires_grad_()
    g = torch.randn(*args.shape, dtype=dtype)
    acts = make_contenders(args.contenders, args.shape[1], args.channelwise)

    compile_s = {}
    for name, act in acts.items():
        start = time.perf_counter()
        for _ in range(args.warmup):
            step(act, x, g)
        compile_s[name] = time.perf_counter() - start
    times = {name: [] for name in acts}
    for r in range(args.repeats):
        for name, act in acts.items():
            if args.skip_slow and name == 'aglu_autograd' and r >= 3:
                continue
            start = time.perf_counter()
            step(act, x, g)
            times[name].append(time.perf_counter() - start)

    med = {n: statistics.median(t) * 1e3 for n, t in times.items()}
    mins = {n: min(t) * 1e3 for n, t in times.items()}
    info = dict(
        shape=args.shape,
        dtype=args.dtype,
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        processor=platform.processor() or platform.machine(),
        loadavg_1min=os.getloadavg()[0],
        cpu_count=os.cpu_count(),
        repeats=args.repeats,
        channelwise=args.channelwise)
    print('# ' + ', '.join(f'{k}={v}' for k, v in info.items()))
    print(f"{'contender':<18}{'median ms':>11}{'min ms':>9}"
          f"{'x SiLU':>8}{'x ReLU':>8}{'warm-up s':>11}")
    for name in acts:
        silu = med.get('silu', float('nan'))
        relu = med.get('relu', float('nan'))
        print(f'{name:<18}{med[name]:>11.1f}{mins[name]:>9.1f}'
              f'{med[name] / silu:>8.2f}{med[name] / relu:>8.2f}'
              f'{compile_s[name]:>11.1f}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(
                    info=info, median_ms=med, min_ms=mins, warmup_s=compile_s),
                f,
                indent=2)


if __name__ == '__main__':
    main()
