# Copyright (c) mmlt contributors. All rights reserved.
"""Training throughput of mmlt's PaCo / GPaCo against the official code, on
the same in-memory two-view batch.

Every contender runs one full training step per round (forward of both
views, momentum update and key encoder (PaCo), loss, queue push, backward,
SGD step; no data loading); rounds are interleaved over the contenders so
that background load hits all of them alike. Reported: median and best
training images/s (images of the dataset: each has two views) and the ratio
of the medians to the official code.

Contenders (``--contenders``), CIFAR-100-LT IF100, ResNet-32, moco-dim 32,
queue 1024, T 0.05, alpha 0.01, SGD 0.05 (momentum 0.9, wd 5e-4):

- ``paco`` / ``official_paco``:
  ``configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py`` as shipped
  (channels-last backbones) / the official ``moco.builder.MoCo`` with the
  CIFAR ResNet-32 and ``PaCoLoss`` of ``PaCo/LT`` (``--paco-repo``, a
  checkout of dvlab-research/Parametric-Contrastive-Learning; it runs in a
  one-process gloo group, see ``mmlt.testing.official_paco``);
  ``paco_nchw``: mmlt in NCHW;
- ``gpaco`` / ``official_gpaco``: the same for GPaCo
  (``configs/paco/gpaco_r32_1xb128-400e_cifar100lt-if100.py``,
  ``GPaCo/LT``).

Example (the run in configs/paco/README.md)::

    python benchmarks/paco_throughput.py --threads 2 --repeats 10 \\
        --paco-repo /path/to/Parametric-Contrastive-Learning
"""
import argparse
import contextlib
import json
import os.path as osp
import platform
import statistics
import sys
import time

import numpy as np
import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)
CONFIGS = dict(
    paco='configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py',
    gpaco='configs/paco/gpaco_r32_1xb128-400e_cifar100lt-if100.py')
ALL = ['official_paco', 'paco', 'paco_nchw', 'official_gpaco', 'gpaco']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--batch-size', type=int, default=128, help='images per step')
    parser.add_argument(
        '--repeats', type=int, default=10, help='timed rounds per contender')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch threads (0: keep the default)')
    parser.add_argument(
        '--contenders',
        nargs='+',
        default=None,
        help=f'subset of {ALL} (default: all available)')
    parser.add_argument(
        '--paco-repo', help='Parametric-Contrastive-Learning checkout')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args(argv)


def cifar100_lt_counts():
    return [int(500 * 0.01**(c / 99)) for c in range(100)]


def sgd(model):
    return torch.optim.SGD(
        model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)


def mmlt_step(name, x, y, channels_last=True):
    from mmengine.config import Config
    from mmpretrain.structures import DataSample

    from mmlt.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[name.split('_')[0]]))
    cfg.model.backbone.channels_last = channels_last
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.head.loss_module.set_class_counts(cifar100_lt_counts())
    opt = sgd(model)
    samples = [DataSample().set_gt_label(int(t)) for t in y]
    model.train()

    def step():
        losses = model(x, samples, mode='loss')
        loss = losses['loss_cls'] + losses['loss_contrast']
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def official_step(repo, variant, x, y):
    from mmlt.testing.official_paco import (load_official_paco,
                                            official_paco_model)
    off = load_official_paco(repo, variant)
    model, criterion = official_paco_model(
        off,
        variant,
        num_classes=100,
        dim=32,
        queue_len=1024,
        feat_dim=64,
        temperature=0.05,
        alpha=0.01,
        class_counts=cifar100_lt_counts())
    opt = sgd(model)
    model.train()
    b = y.size(0)
    im_q, im_k = x[:b], x[b:]

    def step():
        features, labels, logits = model(im_q=im_q, im_k=im_k, labels=y)
        loss = criterion(features, labels, logits)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    import logging

    from mmengine.logging import MMLogger

    import mmlt  # noqa: F401  (registers the components)
    from mmlt.testing.official_paco import official_paco_session
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    names = args.contenders or [
        n for n in ALL if args.paco_repo or not n.startswith('official')
    ]
    unknown = set(names) - set(ALL)
    if unknown:
        raise SystemExit(f'unknown contenders {sorted(unknown)}; choose '
                         f'from {ALL}')
    if any(n.startswith('official') for n in names) and not args.paco_repo:
        raise SystemExit('the official contenders need --paco-repo')
    torch.manual_seed(args.seed)
    counts = np.asarray(cifar100_lt_counts())
    rng = np.random.default_rng(args.seed)
    y = torch.as_tensor(
        rng.choice(100, size=args.batch_size, p=counts / counts.sum()))
    x = torch.randn(2 * args.batch_size, 3, 32, 32)  # query; key views

    with contextlib.ExitStack() as stack:
        if args.paco_repo:
            # the official code needs a process group; mmlt runs in it too
            stack.enter_context(official_paco_session())
        steps = {}
        for name in names:
            if name.startswith('official'):
                variant = 'PaCo' if name == 'official_paco' else 'GPaCo'
                steps[name] = official_step(args.paco_repo, variant, x, y)
            else:
                steps[name] = mmlt_step(
                    name, x, y, channels_last=not name.endswith('_nchw'))
        print(
            f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
            f'{platform.processor() or platform.machine()}, batch '
            f'{args.batch_size} images x 2 views',
            flush=True)
        for step in steps.values():
            for _ in range(args.warmup):
                step()
        times = {name: [] for name in steps}
        for r in range(args.repeats):
            for name, step in steps.items():
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
            print(
                f'round {r + 1}/{args.repeats}: ' +
                ', '.join(f'{n} {args.batch_size / t[-1]:.0f}'
                          for n, t in times.items()),
                flush=True)
    results = {
        name:
        dict(
            median_img_s=args.batch_size / statistics.median(t),
            best_img_s=args.batch_size / min(t))
        for name, t in times.items()
    }
    print(f'\n{"contender":<16}{"median img/s":>14}{"best img/s":>12}'
          f'{"vs official":>13}')
    for name, res in results.items():
        official = results.get(f'official_{name.split("_")[0]}')
        ratio = res['median_img_s'] / official['median_img_s'] \
            if official and not name.startswith('official') else float('nan')
        print(f'{name:<16}{res["median_img_s"]:>14.1f}'
              f'{res["best_img_s"]:>12.1f}{ratio:>13.2f}')
    output = dict(throughput=results, args=vars(args))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(output, f, indent=1)
    return output


if __name__ == '__main__':
    main()
