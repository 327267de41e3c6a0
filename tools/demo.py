# Copyright (c) mmlt contributors. All rights reserved.
"""The ``make demo`` job: a long-tailed method against plain cross-entropy.

Extracts the CIFAR-10-LT demo set shipped in ``demo/`` (1,236 train images,
imbalance factor 100; 2,000 balanced test images), trains ResNet-32 with
Balanced Softmax (``configs/demo/balanced-softmax_...``), tests the last
epoch and prints overall and many/medium/few accuracy next to the same model
trained with plain cross-entropy (``configs/demo/ce_...``: same data,
augmentation, schedule and seed; only the loss differs), then writes the
per-class plot of both.

The cross-entropy column is, by default, the stored result in
``demo/ce_reference.json``, measured by this script with
``--baseline train --save-baseline demo/ce_reference.json`` (so that
``make demo`` is one training); ``--baseline train`` trains it here as well.
A stored result is shown only when it was measured with the same config
file, epochs and seed. Needs nothing outside the repository.
"""
import argparse
import json
import os.path as osp
import sys
import tarfile
import time
import warnings

import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)
# `make demo` installs mmcv-lite (no compiled ops, which only detection
# needs); mmcv warns about that when mmpretrain imports its transformer layers
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
import mmlt  # noqa: E402,F401
from mmlt.evaluation import ShotAccuracy, plot_per_class_accuracy  # noqa

CONFIG = 'configs/demo/balanced-softmax_r32_1xb64-40e_cifar10lt-demo.py'
BASELINE = 'configs/demo/ce_r32_1xb64-40e_cifar10lt-demo.py'
REFERENCE = 'demo/ce_reference.json'
ROWS = [
    ('overall (top-1)', 'lt/top1'),
    ('many', 'lt/many'),
    ('medium', 'lt/medium'),
    ('few', 'lt/few'),
    ('mean per-class accuracy', 'lt/mean_class_acc'),
    ('ECE (calibration, lower: better)', 'lt/ece'),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=CONFIG, help='the LT method')
    parser.add_argument(
        '--baseline-config', default=BASELINE, help='the plain CE model')
    parser.add_argument(
        '--baseline',
        choices=['stored', 'train', 'none'],
        default='stored',
        help='the CE column: the stored result of this script (default), '
        'trained here, or not shown')
    parser.add_argument(
        '--reference',
        default=REFERENCE,
        help='the stored CE result (read with --baseline stored)')
    parser.add_argument(
        '--save-baseline',
        metavar='JSON',
        help='with --baseline train: store the CE result here')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--epochs', type=int, default=None)
    args = parser.parse_args(argv)
    if args.save_baseline and args.baseline != 'train':
        parser.error('--save-baseline needs --baseline train')
    return args


def demo_data_root() -> str:
    data_root = osp.join(REPO, 'data', 'cifar10_lt_demo')
    if not osp.isfile(osp.join(data_root, 'train.txt')):
        with tarfile.open(osp.join(REPO, 'demo',
                                   'cifar10_lt_demo.tar.gz')) as tar:
            tar.extractall(osp.join(REPO, 'data'), filter='data')
    return data_root


def run(config: str, work_dir: str, data_root: str, epochs=None) -> dict:
    """Train ``config`` on the demo set, test the last epoch; returns the
    metrics, ``ShotAccuracy.per_class`` and the training time."""
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.splitext(osp.basename(config))[0]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    if epochs:
        cfg.train_cfg.max_epochs = epochs
        cfg.train_cfg.val_interval = epochs
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_time = time.time() - start
    metrics = runner.test()
    metric = next(
        m for m in runner.test_evaluator.metrics
        if isinstance(m, ShotAccuracy))
    return dict(
        config=config,
        epochs=cfg.train_cfg.max_epochs,
        seed=cfg.randomness.seed,
        metrics={
            k: float(v)
            for k, v in metrics.items()
        },
        per_class=metric.per_class,
        train_minutes=round(train_time / 60, 2),
        torch=torch.__version__)


def load_reference(path: str, config: str, epochs: int, seed) -> tuple:
    """The stored CE result if it matches this run, else ``(None, why)``."""
    if not osp.isfile(path):
        return None, f'no stored CE result at {path}'
    with open(path) as f:
        ref = json.load(f)
    wanted = dict(config=config, epochs=epochs, seed=seed)
    diff = [
        f'{k} {ref.get(k)!r} (this run: {v!r})' for k, v in wanted.items()
        if ref.get(k) != v
    ]
    if diff:
        return None, (f'the stored CE result ({path}) was measured with '
                      f'{", ".join(diff)}; run with --baseline train')
    return ref, None


def report(lt: dict, base, base_label: str, base_note: str, png: str):
    counts = lt['per_class']['train_counts']
    groups = lt['per_class']['group']
    name = osp.basename(lt['config']).split('_')[0].replace('-', ' ').title()
    width = 78
    print('\n' + '=' * width)
    print(f'mmlt demo: CIFAR-10-LT demo set, ResNet-32, {lt["epochs"]} '
          f'epochs, seed {lt["seed"]}, last epoch')
    print(f'train images per class {counts} ({sum(counts)} in all); test: '
          f'{len(counts)} x 200, balanced')
    print('-' * width)
    head = f'{"test accuracy (%)":<33s}'
    if base:
        head += f'{base_label:>18s}'
    head += f'{name:>18s}'
    if base:
        head += f'{"gain":>9s}'
    print(head)
    for label, key in ROWS:
        group = label if label in ('many', 'medium', 'few') else None
        if group:
            label = f'{group} ({groups.count(group)} classes)'
        value = lt['metrics'].get(key, float('nan'))
        line = f'{label:<33s}'
        if base:
            ref = base['metrics'].get(key, float('nan'))
            line += f'{ref:>18.2f}'
        line += f'{value:>18.2f}'
        if base:
            line += f'{value - ref:>+9.2f}'
        print(line)
    print('-' * width)
    if base_note:
        print(base_note)
    print(f'training time {lt["train_minutes"]:.1f} min on CPU ({name})')
    print(f'per-class plot: {png}')
    print('=' * width)


def main(argv=None):
    args = parse_args(argv)
    data_root = demo_data_root()
    lt = run(args.config, args.work_dir, data_root, args.epochs)

    base, note, label = None, '', 'plain CE'
    if args.baseline == 'train':
        base = run(args.baseline_config, osp.join(args.work_dir, 'ce'),
                   data_root, args.epochs)
        note = (f'plain CE: {args.baseline_config} trained in this run '
                f'({base["train_minutes"]:.1f} min)')
        if args.save_baseline:
            with open(args.save_baseline, 'w') as f:
                json.dump(base, f, indent=1)
            note += f'; stored in {args.save_baseline}'
    elif args.baseline == 'stored':
        base, why = load_reference(args.reference, args.baseline_config,
                                   lt['epochs'], lt['seed'])
        if base:
            label = 'plain CE*'
            note = (f'* plain CE: stored result ({args.reference}, torch '
                    f'{base.get("torch")}), measured by this script with '
                    '--baseline train --save-baseline on the same data, '
                    'epochs and seed; --baseline train re-measures it here')
        else:
            note = f'plain CE not shown: {why}'

    png = plot_per_class_accuracy(
        lt['per_class'],
        osp.join(args.work_dir, 'per_class.png'),
        title='CIFAR-10-LT demo, ResNet-32: Balanced Softmax' +
        ('\n(bars) vs plain CE (outlines)' if base else ''),
        reference=base['per_class'] if base else None,
        labels=('Balanced Softmax', label))
    report(lt, base, label, note, png)
    return lt, base


if __name__ == '__main__':
    main()
