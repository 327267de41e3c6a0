# Copyright (c) mmlt contributors. All rights reserved.
"""The ``make demo`` job: train a long-tailed classifier end to end on CPU.

Extracts the CIFAR-10-LT demo set shipped in ``demo/`` (1,236 train images,
imbalance factor 100; 2,000 balanced test images), trains ResNet-32 with
Balanced Softmax for 40 epochs (``configs/demo/...``), tests the last epoch and
prints overall and many/medium/few accuracy, then writes the per-class plot.
Needs nothing outside the repository.
"""
import argparse
import os.path as osp
import sys
import tarfile
import time

from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)
import mmlt  # noqa: E402,F401
from mmlt.evaluation import ShotAccuracy, plot_per_class_accuracy  # noqa

CONFIG = 'configs/demo/balanced-softmax_r32_1xb64-40e_cifar10lt-demo.py'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--epochs', type=int, default=None)
    args = parser.parse_args()

    data_root = osp.join(REPO, 'data', 'cifar10_lt_demo')
    if not osp.isfile(osp.join(data_root, 'train.txt')):
        with tarfile.open(osp.join(REPO, 'demo',
                                   'cifar10_lt_demo.tar.gz')) as tar:
            tar.extractall(osp.join(REPO, 'data'), filter='data')

    cfg = Config.fromfile(osp.join(REPO, args.config))
    cfg.work_dir = args.work_dir
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    if args.epochs:
        cfg.train_cfg.max_epochs = args.epochs
        cfg.train_cfg.val_interval = args.epochs
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_time = time.time() - start
    metrics = runner.test()

    metric = next(
        m for m in runner.test_evaluator.metrics
        if isinstance(m, ShotAccuracy))
    png = plot_per_class_accuracy(
        metric.per_class,
        osp.join(args.work_dir, 'per_class.png'),
        title='CIFAR-10-LT demo, ResNet-32 + Balanced Softmax')
    counts = metric.per_class['train_counts']
    groups = metric.per_class['group']
    rows = [('overall (top-1)', metrics['lt/top1'])
            ] + [(f'{g} ({groups.count(g)} classes)', metrics[f'lt/{g}'])
                 for g in ('many', 'medium', 'few')]
    print('\n' + '=' * 56)
    print(f'mmlt demo: {cfg.train_cfg.max_epochs} epochs on '
          f'{sum(counts)} images (class counts {counts})')
    print(f'training time {train_time / 60:.1f} min on CPU')
    print('-' * 56)
    for name, value in rows:
        print(f'{name:<28s}{value:>8.2f} %')
    print(f'{"mean per-class accuracy":<28s}'
          f'{metrics["lt/mean_class_acc"]:>8.2f} %')
    print(f'{"expected calibration error":<28s}{metrics["lt/ece"]:>8.2f} %')
    print('-' * 56)
    print(f'per-class plot: {png}')
    print('=' * 56)


if __name__ == '__main__':
    main()
