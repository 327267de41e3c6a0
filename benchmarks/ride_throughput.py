# Copyright (c) mmlt contributors. All rights reserved.
"""Training throughput of RIDE-3 ResNet-32 against the CE ResNet-32 baseline
(and the official RIDE code), plus GFLOPs per image with/without the router.

Every contender runs one full training step per round on the same
in-memory CIFAR-sized batch (forward, loss, backward, SGD-Nesterov step;
no data loading): rounds are interleaved over the contenders so background
load hits all of them alike. Reports median and best images/s and the
ratios of the medians.

Contenders (``--contenders``):

- ``ride``: ``configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py`` as
  shipped (per-expert convolutions, channels-last) with its RIDE loss;
- ``ride_grouped``, ``ride_nchw``, ``ride_grouped_nchw``: the same model
  with ``expert_mode='grouped'`` and/or NCHW memory format;
- ``ce``: ``configs/baselines/ce_r32_1xb128-200e_cifar100lt-if100.py``
  (ResNet-32 + linear + CE) as shipped; ``ce_cl``: the same, channels-last;
- ``official``: the official ``ResNet_s`` (3 experts, reduced width, normed
  classifiers) with the official ``RIDELoss`` (needs ``--official-repo``, a
  checkout of frank-xwang/RIDE-LongTailRecognition; its loss calls
  ``.cuda()`` in ``__init__``, which is made a no-op while it is built).

GFLOPs (multiply-adds, as RIDE's ``utils/gflops.py``) per 32x32 image are
counted with mmengine's ``FlopAnalyzer``: RIDE with 1..3 experts (plus router
decisions), all experts without router, the CE baseline, and, with
``--expert-usage`` (fractions of test samples that used 1..K experts, as
``tools/test.py`` reports for a router config), the routed average.

Example (the lead's quiet-machine run; get the official code with
``git --git-dir=/work/.mirror/frank-xwang+RIDE-LongTailRecognition/repo
archive HEAD | tar -x -C /tmp/ride_official``)::

    .venv/bin/python benchmarks/ride_throughput.py --repeats 20 \\
        --official-repo /tmp/ride_official
"""
import argparse
import importlib.util
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
RIDE_CFG = osp.join(REPO, 'configs/ride/ride-3e_r32_1xb128-200e_'
                    'cifar100lt-if100.py')
CE_CFG = osp.join(REPO, 'configs/baselines/ce_r32_1xb128-200e_'
                  'cifar100lt-if100.py')
ALL = ['official', 'ride', 'ride_grouped', 'ride_nchw', 'ride_grouped_nchw',
       'ce', 'ce_cl']


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=20,
                        help='timed rounds per contender')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=0,
                        help='torch threads (0: keep the default)')
    parser.add_argument('--contenders', nargs='+', default=None,
                        help=f'subset of {ALL} (default: all available)')
    parser.add_argument('--official-repo',
                        help='checkout of RIDE-LongTailRecognition')
    parser.add_argument('--expert-usage',
                        help='fractions of samples using 1..K experts, '
                        'e.g. 0.41,0.09,0.50')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args()


def cifar100_lt_counts():
    return [int(500 * 0.01**(c / 99)) for c in range(100)]


def build_mmlt(cfg_path, **backbone_overrides):
    from mmengine.config import Config

    from mmlt.registry import MODELS
    cfg = Config.fromfile(cfg_path)
    cfg.model.backbone.update(backbone_overrides)
    model = MODELS.build(cfg.model)
    model.init_weights()
    for module in model.modules():
        if hasattr(module, 'set_class_counts'):
            module.set_class_counts(cifar100_lt_counts())
    return model


def mmlt_step(model, batch_x, batch_y, channels_last=False):
    from mmpretrain.structures import DataSample
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                          weight_decay=5e-4, nesterov=True)
    samples = [DataSample().set_gt_label(int(y)) for y in batch_y]
    x = batch_x.contiguous(memory_format=torch.channels_last) \
        if channels_last else batch_x
    if channels_last:
        model.to(memory_format=torch.channels_last)
    model.train()

    def step():
        losses = model(x, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def official_step(repo, batch_x, batch_y):

    def load(name, rel):
        spec = importlib.util.spec_from_file_location(name,
                                                      osp.join(repo, rel))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    nets = load('ride_official_cifar',
                'model/ldam_drw_resnets/ride_resnet_cifar.py')
    losses = load('ride_official_loss', 'model/loss.py')
    model = nets.ResNet_s(nets.BasicBlock, [5, 5, 5], num_experts=3,
                          num_classes=100, reduce_dimension=True,
                          use_norm=True, s=30)
    cuda = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    try:
        criterion = losses.RIDELoss(
            cls_num_list=cifar100_lt_counts(),
            additional_diversity_factor=-0.45, reweight=True,
            reweight_epoch=160)
    finally:
        torch.Tensor.cuda = cuda
    criterion._hook_before_epoch(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                          weight_decay=5e-4, nesterov=True)
    model.train()

    def step():
        out = model(batch_x)
        loss = criterion(output_logits=out, target=batch_y,
                         extra_info=dict(logits=model.logits))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step, model


def gflops_report(args):
    from mmengine.analysis import FlopAnalyzer
    from mmengine.config import Config

    from mmlt.registry import MODELS
    ride = build_mmlt(RIDE_CFG)
    router_cfg = dict(
        Config.fromfile(RIDE_CFG).model, type='RIDERouterClassifier',
        router=dict(type='RIDERouterHead', in_channels=48, num_classes=100,
                    num_experts=3, top_choices=30))
    routed = MODELS.build(router_cfg)
    per_k = routed.expert_flops((3, 32, 32), with_router=True)
    plain = ride.expert_flops((3, 32, 32))
    ce = MODELS.build(Config.fromfile(CE_CFG).model).eval()
    analyzer = FlopAnalyzer(ce, torch.zeros(1, 3, 32, 32))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    report = {
        'ride3_all_experts_no_router': plain[-1] / 1e9,
        'ride3_k_experts_with_router': [f / 1e9 for f in per_k],
        'ce_r32': analyzer.total() / 1e9,
    }
    if args.expert_usage:
        usage = np.asarray([float(v) for v in args.expert_usage.split(',')])
        if len(usage) != 3 or abs(usage.sum() - 1) > 1e-3:
            raise ValueError('--expert-usage needs 3 fractions summing to 1, '
                             f'got {args.expert_usage!r}.')
        report['ride3_routed'] = float(usage @ np.asarray(per_k)) / 1e9
    return report


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import logging

    from mmengine.logging import MMLogger

    import mmlt  # noqa: F401  (registers the components)
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    torch.manual_seed(args.seed)
    counts = np.asarray(cifar100_lt_counts())
    rng = np.random.default_rng(args.seed)
    batch_y = torch.as_tensor(
        rng.choice(100, size=args.batch_size, p=counts / counts.sum()))
    batch_x = torch.randn(args.batch_size, 3, 32, 32)

    names = args.contenders or [
        n for n in ALL if n != 'official' or args.official_repo
    ]
    if 'official' in names and not args.official_repo:
        raise SystemExit('the official contender needs --official-repo')
    steps = {}
    for name in names:
        if name == 'official':
            steps[name] = official_step(args.official_repo, batch_x,
                                        batch_y)[0]
        elif name.startswith('ride'):
            steps[name] = mmlt_step(
                build_mmlt(RIDE_CFG,
                           expert_mode='grouped' if 'grouped' in name
                           else 'per_expert',
                           channels_last='nchw' not in name), batch_x,
                batch_y)
        elif name in ('ce', 'ce_cl'):
            steps[name] = mmlt_step(build_mmlt(CE_CFG), batch_x, batch_y,
                                    channels_last=name == 'ce_cl')
        else:
            raise SystemExit(f'unknown contender {name!r}; choose from {ALL}')
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'{platform.processor() or platform.machine()}, batch '
          f'{args.batch_size}', flush=True)
    for name, step in steps.items():
        for _ in range(args.warmup):
            step()
        print(f'warmed up {name}', flush=True)
    times = {name: [] for name in steps}
    for r in range(args.repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
        print(f'round {r + 1}/{args.repeats}: ' + ', '.join(
            f'{n} {args.batch_size / t[-1]:.0f}' for n, t in times.items()),
            flush=True)
    results = {
        name: dict(median_img_s=args.batch_size / statistics.median(t),
                   best_img_s=args.batch_size / min(t))
        for name, t in times.items()
    }
    print(f'\n{"contender":<20}{"median img/s":>14}{"best img/s":>12}'
          f'{"vs ce":>8}{"vs official":>13}')
    for name, res in results.items():
        vs_ce = res['median_img_s'] / results['ce']['median_img_s'] \
            if 'ce' in results else float('nan')
        vs_off = res['median_img_s'] / results['official']['median_img_s'] \
            if 'official' in results else float('nan')
        print(f'{name:<20}{res["median_img_s"]:>14.1f}'
              f'{res["best_img_s"]:>12.1f}{vs_ce:>8.2f}{vs_off:>13.2f}')
    flops = gflops_report(args)
    print('\nGFLOPs (multiply-adds) per 32x32 image:')
    for key, value in flops.items():
        print(f'  {key}: {value}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(throughput=results, gflops=flops,
                           args=vars(args)), f, indent=1)


if __name__ == '__main__':
    main()
