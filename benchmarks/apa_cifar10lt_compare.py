# Copyright (c) mmlt contributors. All rights reserved.
"""Short-schedule CIFAR-10-LT comparison: ResNet-32 with ReLU against
SE-ResNet-32 with AGLU + APA-SE (+ cosine classifier / IIF), same budget.

Arms (same data, augmentation, optimiser, schedule, batch and seed):

- ``relu_linear``: ResNet-32 (ReLU, option-A shortcuts), linear head, CE;
- ``relu_cosine_iif``: ResNet-32 (ReLU), the APA classifier (cosine, squash
  features, s=16) trained with CE, IIF at test time;
- ``aglu_apa-se_cosine_iif``: SE-ResNet-32 with AGLU + APA-SE (r=4) and the
  same classifier (the APA CIFAR model).

Data: the real CIFAR-10 images (``../shared/data/cifar10-jpg.tgz``, extracted
once into ``~/.cache/mmlt/test-data`` like the test fixture, or
``--data-root`` pointing at an extracted ``cifar10/`` tree), CIFAR-10-LT with
the exponential profile (IF 100: 5000 ... 50 images, seeded per-class
selection), the balanced 10k test set. Prints overall / many / medium / few
accuracy at the **last epoch** (no best-epoch selection) with the seed.
Shot groups by training count: many > ``--many-thr`` (1500), few <
``--few-thr`` (200): 3 / 4 / 3 classes at IF 100.

The run reported in ``configs/apa/README.md`` (48 min on 2 CPU cores)::

    .venv/bin/python benchmarks/apa_cifar10lt_compare.py --epochs 15 \\
        --seed 0 --work-dir work_dirs/apa_cifar10lt_compare
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import tarfile
import time
from pathlib import Path

import torch
from mmengine.logging import MMLogger
from mmengine.runner import Runner

import mmlt  # noqa: F401  (registers the mmlt components)
from mmlt.datasets import CIFAR10LT

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = Path(
    os.environ.get('MMLT_SHARED_DATA',
                   REPO.parent / 'shared' / 'data')) / 'cifar10-jpg.tgz'
CACHE = Path(
    os.environ.get('MMLT_TEST_CACHE',
                   Path.home() / '.cache' / 'mmlt' / 'test-data'))

COSINE_IIF = dict(
    type='CosineClsHead',
    num_classes=10,
    in_channels=64,
    scale=16,
    feature_norm='squash',
    posthoc='iif',
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
ARMS = {
    'relu_linear':
    dict(
        backbone=dict(type='ResNet32Cifar', depth=32, shortcut='A'),
        head=dict(
            type='LTLinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    'relu_cosine_iif':
    dict(
        backbone=dict(type='ResNet32Cifar', depth=32, shortcut='A'),
        head=COSINE_IIF),
    'aglu_apa-se_cosine_iif':
    dict(
        backbone=dict(type='SEResNetCifarAGLU', depth=32, se_ratio=4),
        head=COSINE_IIF),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root',
        help='extracted cifar10/ tree '
        '(train|test/<class>/*.jpg); default: extract '
        f'{ARCHIVE} into {CACHE}')
    parser.add_argument(
        '--arms', nargs='+', default=list(ARMS), choices=list(ARMS))
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--weight-decay', type=float, default=5e-4)
    parser.add_argument('--warmup-epochs', type=int, default=1)
    parser.add_argument('--imb-factor', type=float, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--many-thr', type=int, default=1500)
    parser.add_argument('--few-thr', type=int, default=200)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--train-subset',
        type=int,
        default=0,
        help='use every k-th image so that about this many '
        'train images remain (smoke tests; 0 = all)')
    parser.add_argument('--test-subset', type=int, default=0)
    parser.add_argument(
        '--work-dir', default='work_dirs/apa_cifar10lt_compare')
    return parser.parse_args(argv)


def cifar10_root(data_root=None) -> str:
    if data_root:
        return data_root
    out, marker = CACHE / 'cifar10', CACHE / '.cifar10.done'
    if not marker.exists():
        if not ARCHIVE.exists():
            raise FileNotFoundError(
                f'{ARCHIVE} not found; pass --data-root pointing at an '
                'extracted cifar10/ tree (train|test/<class>/*.jpg).')
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(ARCHIVE) as tar:
            tar.extractall(CACHE, filter='data')
        marker.touch()
    return str(out)


def _subset(dataset, size):
    if not size or size >= len(dataset):
        return dataset
    step = len(dataset) / size
    return dataset.get_subset([int(i * step) for i in range(size)])


def build_datasets(args):
    root = cifar10_root(args.data_root)
    train_pipeline = [
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]
    train = CIFAR10LT(
        data_root=root,
        split='train',
        imb_factor=args.imb_factor,
        data_format='folder',
        seed=0,
        pipeline=train_pipeline)
    test = CIFAR10LT(
        data_root=root,
        split='test',
        data_format='folder',
        pipeline=[dict(type='PackInputs')])
    return _subset(train, args.train_subset), _subset(test, args.test_subset)


def build_runner(arm, args, train_set, test_set):
    model = dict(
        type='ImageClassifier',
        neck=dict(type='GlobalAveragePooling'),
        data_preprocessor=dict(
            num_classes=10,
            mean=[125.307, 122.961, 113.8575],
            std=[51.5865, 50.847, 51.255],
            to_rgb=False),  # the folder dataset holds RGB images
        **copy.deepcopy(ARMS[arm]))
    loader = dict(
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        persistent_workers=args.num_workers > 0)
    epochs = args.epochs
    warmup = min(args.warmup_epochs, epochs - 1)
    schedulers = [
        dict(
            type='CosineAnnealingLR',
            T_max=epochs - warmup,
            eta_min=0.,
            by_epoch=True,
            begin=warmup,
            end=epochs)
    ]
    if warmup > 0:
        schedulers.insert(
            0,
            dict(
                type='LinearLR',
                start_factor=0.01,
                by_epoch=True,
                begin=0,
                end=warmup,
                convert_to_iter_based=True))
    return Runner(
        model=model,
        work_dir=osp.join(args.work_dir, arm),
        train_dataloader=dict(
            dataset=train_set,
            sampler=dict(type='DefaultSampler', shuffle=True),
            **loader),
        val_dataloader=dict(
            dataset=test_set,
            sampler=dict(type='DefaultSampler', shuffle=False),
            **dict(loader, batch_size=256)),
        val_evaluator=dict(
            type='ShotAccuracy',
            topk=(1, ),
            many_thr=args.many_thr,
            few_thr=args.few_thr),
        train_cfg=dict(
            by_epoch=True, max_epochs=epochs, val_interval=epochs + 1),
        val_cfg=dict(),
        optim_wrapper=dict(
            optimizer=dict(
                type='SGD',
                lr=args.lr,
                momentum=0.9,
                weight_decay=args.weight_decay),
            paramwise_cfg=dict(
                custom_keys={
                    'lambda_param': dict(decay_mult=0.),
                    'kappa_param': dict(decay_mult=0.)
                })),
        param_scheduler=schedulers,
        custom_hooks=[dict(type='ClassCountsHook')],
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=50),
            checkpoint=dict(
                type='CheckpointHook', interval=epochs, max_keep_ckpts=1)),
        default_scope='mmpretrain',
        randomness=dict(seed=args.seed),
        env_cfg=dict(
            cudnn_benchmark=False,
            mp_cfg=dict(mp_start_method='fork'),
            dist_cfg=dict(backend='gloo')),
        log_level='INFO',
        experiment_name=f'{arm}_seed{args.seed}')


def main(argv=None):
    args = parse_args(argv)
    train_set, test_set = build_datasets(args)
    results = {}
    for arm in args.arms:
        start = time.time()
        runner = build_runner(arm, args, train_set, test_set)
        runner.train()
        metrics = runner.val()  # last epoch, no checkpoint selection
        results[arm] = dict(
            {
                k.split('/')[-1]: float(v)
                for k, v in metrics.items()
            },
            minutes=(time.time() - start) / 60)
    MMLogger.get_current_instance().info(json.dumps(results))
    command = ' '.join(['python', 'benchmarks/apa_cifar10lt_compare.py'] +
                       (sys.argv[1:] if argv is None else list(argv)))
    lines = [
        f'CIFAR-10-LT IF{args.imb_factor:g}, {len(train_set)} train / '
        f'{len(test_set)} test images, {args.epochs} epochs, batch '
        f'{args.batch_size}, lr {args.lr}, seed {args.seed}, last epoch; '
        f'torch threads {torch.get_num_threads()}', f'command: {command}', '',
        '| arm | top-1 | many | medium | few | minutes |',
        '|---|---|---|---|---|---|'
    ]
    for arm, r in results.items():
        lines.append(f"| {arm} | {r['top1']:.2f} | {r['many']:.2f} | "
                     f"{r['medium']:.2f} | {r['few']:.2f} | "
                     f"{r['minutes']:.1f} |")
    print('\n'.join(lines))
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(
            dict(args=vars(args), command=command, results=results),
            f,
            indent=2)
    return results


if __name__ == '__main__':
    main()
