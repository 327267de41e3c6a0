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
import os.path as osp
import sys

import numpy as np
import torch
from interleaved import (add_common_args, cifar100_lt_counts,
                         cifar100_lt_labels, machine, official_of, save_json,
                         select_contenders, setup, throughput_table)

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)
CONFIGS = dict(
    paco='configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py',
    gpaco='configs/paco/gpaco_r32_1xb128-400e_cifar100lt-if100.py')
ALL = ['official_paco', 'paco', 'paco_nchw', 'official_gpaco', 'gpaco']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_common_args(
        parser,
        ALL,
        batch_size=128,
        repeats=10,
        warmup=2,
        batch_help='images per step')
    parser.add_argument(
        '--paco-repo', help='Parametric-Contrastive-Learning checkout')
    return parser.parse_args(argv)


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
    setup(args.threads)
    from mmlt.testing.official_paco import official_paco_session
    names = select_contenders(args.contenders, ALL, args.paco_repo,
                              '--paco-repo')
    torch.manual_seed(args.seed)
    y = cifar100_lt_labels(np.random.default_rng(args.seed), args.batch_size)
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
            f'{machine()}, batch {args.batch_size} images x 2 views',
            flush=True)
        results = throughput_table(steps, args,
                                   [('vs official', 13, official_of)])
    output = dict(throughput=results, args=vars(args))
    save_json(args.json, output)
    return output


if __name__ == '__main__':
    main()
