# Copyright (c) mmlt contributors. All rights reserved.
"""Training throughput of mmlt's multi-expert methods against their official
code (and the CE ResNet-32 baseline), on the same in-memory batch.

Every contender runs one full training step per round (forward, loss,
backward, SGD-Nesterov step; no data loading); rounds are interleaved over
the contenders so that background load hits all of them alike. Reported:
median and best training images/s (images of the dataset: a two-view method
processes twice as many crops) and the ratios of the medians.

Contenders (``--contenders``), CIFAR-100-LT IF100, ResNet-32, 3 experts:

- ``ride`` / ``official_ride``: ``configs/ride/ride-3e_r32_1xb128-200e_
  cifar100lt-if100.py`` as shipped (channels-last) with its RIDE loss / the
  official ``ResNet_s`` and ``RIDELoss`` (``--ride-repo``, a checkout of
  frank-xwang/RIDE-LongTailRecognition); ``ride_nchw``: mmlt in NCHW;
- ``mdcs`` / ``official_mdcs``: ``configs/mdcs/mdcs_r32_1xb64-400e_
  cifar100lt-if100.py`` / the official ``ResNet_s`` and ``MDCSLoss``
  (``--mdcs-repo``, fistyee/MDCS) on both views of the batch;
- ``shike`` / ``official_shike``: ``configs/shike/shike_r32_1xb128-200e_
  cifar100lt-if100.py`` (stage 1, DKT loss) / the official ``ResNet_MoE``
  and ``mix_outputs`` loss (``--shike-repo``, jinyan-06/SHIKE);
- ``ce``: ``configs/baselines/ce_r32_1xb128-200e_cifar100lt-if100.py``.

``--pipeline CONFIG`` also times that config's train pipeline (one process,
the real CIFAR-10 images of ``../shared/data`` if present, else random
images) to compare the data loading rate with the model's.

Example (the runs in configs/ride/README.md and configs/mdcs/README.md)::

    python benchmarks/multi_expert_throughput.py --repeats 20 \\
        --ride-repo /path/to/RIDE-LongTailRecognition \\
        --mdcs-repo /path/to/MDCS --shike-repo /path/to/SHIKE \\
        --pipeline configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np
import torch
from interleaved import (add_common_args, cifar100_lt_counts,
                         cifar100_lt_labels, machine, official_of, save_json,
                         setup, throughput_table)

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)
CONFIGS = dict(
    ride='configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
    mdcs='configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py',
    shike='configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py',
    ce='configs/baselines/ce_r32_1xb128-200e_cifar100lt-if100.py')
ALL = [
    'official_ride', 'ride', 'ride_nchw', 'official_mdcs', 'mdcs',
    'official_shike', 'shike', 'ce'
]
VIEWS = dict(mdcs=2, official_mdcs=2)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_common_args(
        parser,
        ALL,
        batch_size=128,
        repeats=20,
        warmup=3,
        batch_help='images per step (per view)')
    parser.add_argument(
        '--ride-repo', help='RIDE-LongTailRecognition '
        'checkout')
    parser.add_argument('--mdcs-repo', help='MDCS checkout')
    parser.add_argument('--shike-repo', help='SHIKE checkout')
    parser.add_argument(
        '--pipeline', help='also time the train pipeline of '
        'this config')
    return parser.parse_args(argv)


def sgd(model):
    return torch.optim.SGD(
        model.parameters(),
        lr=0.01,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)


def mmlt_step(name, x, y, channels_last=True):
    from mmengine.config import Config
    from mmpretrain.structures import DataSample

    from mmlt.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[name]))
    if 'channels_last' in cfg.model.backbone or not channels_last:
        cfg.model.backbone.channels_last = channels_last
    model = MODELS.build(cfg.model)
    model.init_weights()
    for module in model.modules():
        if hasattr(module, 'set_class_counts'):
            module.set_class_counts(cifar100_lt_counts())
    opt = sgd(model)
    samples = [DataSample().set_gt_label(int(t)) for t in y]
    model.train()

    def step():
        losses = model(x, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def official_ride_step(repo, x, y):
    from mmlt.testing import cuda_as_noop, load_official
    nets = load_official(repo, 'model/ldam_drw_resnets/ride_resnet_cifar.py',
                         'bench_official_ride')
    losses = load_official(repo, 'model/loss.py', 'bench_official_ride_loss')
    model = nets.ResNet_s(
        nets.BasicBlock, [5, 5, 5],
        num_experts=3,
        num_classes=100,
        reduce_dimension=True,
        use_norm=True,
        s=30)
    with cuda_as_noop():
        criterion = losses.RIDELoss(
            cls_num_list=cifar100_lt_counts(),
            additional_diversity_factor=-0.45,
            reweight=True,
            reweight_epoch=160)
    criterion._hook_before_epoch(1)
    opt = sgd(model)
    model.train()

    def step():
        out = model(x)
        loss = criterion(
            output_logits=out, target=y, extra_info=dict(logits=model.logits))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def official_mdcs_step(repo, x, y):
    from mmlt.testing import cuda_as_noop, load_official
    nets = load_official(repo, 'model/ldam_drw_resnets/expert_resnet_cifar.py',
                         'bench_official_mdcs')
    losses = load_official(repo, 'model/loss.py', 'bench_official_mdcs_loss')
    model = nets.ResNet_s(
        nets.BasicBlock, [5, 5, 5],
        num_experts=3,
        num_classes=100,
        reduce_dimension=True,
        use_norm=True,
        returns_feat=True,
        s=30)
    with cuda_as_noop():
        criterion = losses.MDCSLoss(cls_num_list=cifar100_lt_counts(), tau=2)
    target = y.repeat(2)  # the official trainer's layout
    opt = sgd(model)
    model.train()

    def step():
        out = model(x)
        loss = criterion(
            output_logits=out['output'],
            target=target,
            extra_info=dict(logits=out['logits'].transpose(0, 1), epoch=30))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def official_shike_step(repo, x, y):
    from mmlt.testing import cuda_as_noop, load_official_shike
    nets, train = load_official_shike(repo)
    model = nets.resnet32(num_classes=100, use_norm=True, num_exps=3)
    onehot = torch.eye(100)[y]
    counts = np.asarray(cifar100_lt_counts())
    opt = sgd(model)
    model.train()

    def step():
        with cuda_as_noop():  # mix_outputs moves the prior to the GPU
            loss, _ = train.mix_outputs(
                model(x, False), onehot, balance=False, label_dis=counts)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def pipeline_rate(config, seconds=10.):
    """Images/s of a config's train pipeline in one process."""
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(osp.join(REPO, config))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    images = _cifar_images()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        img = images[count % len(images)]
        pipeline(
            dict(
                img=img.copy(),
                img_shape=img.shape[:2],
                ori_shape=img.shape[:2],
                gt_label=0))
        count += 1
    return count / (time.perf_counter() - start)


def _cifar_images(num=256):
    """Real CIFAR-10 images (RGB arrays) if ../shared/data is there."""
    import tarfile
    archive = osp.join(REPO, '..', 'shared', 'data', 'cifar10-jpg.tgz')
    rng = np.random.default_rng(0)
    if osp.isfile(archive):
        import mmcv
        out = []
        with tarfile.open(archive) as tar:
            for member in tar:
                if member.name.endswith('.jpg') and '/train/' in member.name:
                    data = tar.extractfile(member).read()
                    out.append(mmcv.imfrombytes(data, channel_order='rgb'))
                    if len(out) == num:
                        return out
    return [
        rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(num)
    ]


def main(argv=None):
    args = parse_args(argv)
    setup(args.threads)
    torch.manual_seed(args.seed)
    y = cifar100_lt_labels(np.random.default_rng(args.seed), args.batch_size)
    x = torch.randn(args.batch_size, 3, 32, 32)
    x2 = torch.randn(2 * args.batch_size, 3, 32, 32)  # weak; strong

    repos = dict(
        official_ride=args.ride_repo,
        official_mdcs=args.mdcs_repo,
        official_shike=args.shike_repo)
    names = args.contenders or [n for n in ALL if n not in repos or repos[n]]
    steps = {}
    for name in names:
        if name in repos and not repos[name]:
            method = name.split('_')[1]
            raise SystemExit(f'{name} needs --{method}-repo')
        inputs = x2 if VIEWS.get(name, 1) == 2 else x
        if name == 'official_ride':
            steps[name] = official_ride_step(args.ride_repo, inputs, y)
        elif name == 'official_mdcs':
            steps[name] = official_mdcs_step(args.mdcs_repo, inputs, y)
        elif name == 'official_shike':
            steps[name] = official_shike_step(args.shike_repo, inputs, y)
        elif name == 'ride_nchw':
            steps[name] = mmlt_step('ride', inputs, y, channels_last=False)
        elif name in CONFIGS:
            steps[name] = mmlt_step(name, inputs, y)
        else:
            raise SystemExit(f'unknown contender {name!r}; choose from {ALL}')
    print(
        f'{machine()}, batch {args.batch_size} images (x2 views for MDCS)',
        flush=True)
    results = throughput_table(steps, args, [('vs official', 13, official_of),
                                             ('vs ce', 8, lambda name: 'ce')])
    output = dict(throughput=results, args=vars(args))
    if args.pipeline:
        rate = pipeline_rate(args.pipeline)
        name = next(
            (n for n in ('mdcs', 'shike', 'ride') if n in args.pipeline), None)
        model_rate = results.get(name, {}).get('median_img_s')
        print(f'\ntrain pipeline of {args.pipeline}: {rate:.0f} images/s in '
              'one process')
        if model_rate:
            print(f'per image the pipeline takes {model_rate / rate:.0%} of '
                  f'the time of the {name} training step ({model_rate:.0f} '
                  'images/s): one loader worker keeps up if this is below '
                  '100 %')
        output['pipeline_img_s'] = rate
    save_json(args.json, output)
    return output


if __name__ == '__main__':
    main()
