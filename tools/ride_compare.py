# Copyright (c) mmlt contributors. All rights reserved.
"""Train CE, LDAM-DRW and RIDE-3 (ResNet-32) with the same short schedule on
a real long-tailed set and print overall / many / medium / few accuracy at
the last epoch.

Data (from ``../shared/data``, extracted once into ``--cache-dir``):

- ``cifar10lt``: CIFAR-10-LT IF100 (12,406 train images: 8 many / 2 medium
  / 0 few classes, so "few" is NaN) generated from the CIFAR-10 jpg tree
  with the LDAM/RIDE protocol (seeded per-class shuffle, seed 0), balanced
  10,000-image test set;
- ``tinyimagenetlt``: Tiny-ImageNet-200-LT IF100 (21,549 train images,
  70/70/60 classes) resized to 32x32, balanced 10,000-image val set.

Every method gets the same schedule: ``--epochs`` epochs, batch 128, SGD
0.1 (momentum 0.9, Nesterov, wd 5e-4), linear warm-up over the first 5
epochs (lr * (e + 1) / 5), x0.01 at 80% and again at 90% of the epochs
(RIDE/LDAM-DRW's 160/180 of 200); deferred re-weighting (LDAM-DRW, RIDE)
from the same 80% epoch. Models and losses are those of
``configs/baselines/{ce,ldam-drw}_r32_1xb128-200e_cifar100lt-if100.py`` and
``configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py``; each method
keeps its own augmentation (RIDE adds RandomRotation(15)) unless
``--common-aug`` gives all of them RIDE's.

``RIDE-3+router`` then trains the RIDE stage-2 router (the recipe of
``configs/ride/ride-3e-router_*``) on the RIDE-3 checkpoint of the same
``--work-dir`` and ``--epochs`` and reports experts and GFLOPs per image.

The run reported in ``configs/ride/README.md``::

    .venv/bin/python tools/ride_compare.py --dataset cifar10lt --epochs 20 \\
        --seed 0 --many-thr 1500 --few-thr 200 \\
        --work-dir work_dirs/ride_compare
    .venv/bin/python tools/ride_compare.py --dataset cifar10lt --epochs 20 \\
        --seed 0 --many-thr 1500 --few-thr 200 \\
        --work-dir work_dirs/ride_compare --methods RIDE-3+router
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import tarfile
import time

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)

CONFIGS = {
    'CE': 'configs/baselines/ce_r32_1xb128-200e_cifar100lt-if100.py',
    'LDAM-DRW':
    'configs/baselines/ldam-drw_r32_1xb128-200e_cifar100lt-if100.py',
    'RIDE-3': 'configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
    # stage 2 on the RIDE-3 model above (its own recipe: 5 epochs, batch
    # 512, class-balanced sampling, SGD 0.01, cosine)
    'RIDE-3+router':
    'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py',
}
ARCHIVES = {
    'cifar10lt': ('cifar10-jpg.tgz', 'cifar10'),
    'tinyimagenetlt': ('tiny-imagenet-200-lt.tgz', 'tiny-imagenet-200-lt'),
}
ROTATION = [
    dict(type='NumpyToPIL'),
    dict(type='torchvision/RandomRotation', degrees=15),
    dict(type='PILToNumpy'),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', choices=sorted(ARCHIVES),
                        default='cifar10lt')
    parser.add_argument('--methods', nargs='+', choices=list(CONFIGS),
                        default=list(CONFIGS))
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--common-aug', action='store_true',
                        help="give every method RIDE's augmentation")
    parser.add_argument('--shared-data',
                        default=os.environ.get(
                            'MMLT_SHARED_DATA',
                            osp.join(REPO, '..', 'shared', 'data')))
    parser.add_argument('--cache-dir',
                        default=osp.join(osp.expanduser('~'), '.cache',
                                         'mmlt', 'test-data'),
                        help='where the archives are extracted (once)')
    parser.add_argument('--work-dir', default='work_dirs/ride_compare')
    parser.add_argument('--many-thr', type=int, default=100,
                        help='many-shot: more than this many train images')
    parser.add_argument('--few-thr', type=int, default=20,
                        help='few-shot: fewer than this many train images '
                        '(CIFAR-10-LT has no class under 20: try 1500/200 '
                        'for 3/4/3 groups)')
    parser.add_argument('--subset', type=int, default=0,
                        help='smoke test: about this many train and test '
                        'images, in proportion per class (0: all)')
    return parser.parse_args()


def stratified_subset(dataset_cfg, size, seed):
    """About ``size`` indices keeping each class's share (at least one
    image per class)."""
    import numpy as np

    from mmlt.registry import DATASETS
    labels = np.asarray(DATASETS.build(dataset_cfg).get_gt_labels())
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n = max(1, int(round(size * len(members) / len(labels))))
        keep += rng.choice(members, size=min(n, len(members)),
                           replace=False).tolist()
    return sorted(int(i) for i in keep)


def data_root(args) -> str:
    archive, top = ARCHIVES[args.dataset]
    root = osp.join(args.cache_dir, top)
    marker = osp.join(args.cache_dir, f'.{top}.done')
    if not osp.exists(marker):
        src = osp.join(args.shared_data, archive)
        if not osp.isfile(src):
            raise SystemExit(f'{src} not found: pass --shared-data (the '
                             'folder holding the shared data archives).')
        print(f'extracting {src} to {args.cache_dir} ...', flush=True)
        os.makedirs(args.cache_dir, exist_ok=True)
        with tarfile.open(src) as tar:
            tar.extractall(args.cache_dir, filter='data')
        open(marker, 'w').close()
    return root


def schedule(epochs: int):
    warmup = min(5, max(1, epochs // 10))
    drw = int(round(0.8 * epochs))
    steps = [drw, max(drw + 1, int(round(0.9 * epochs)))]
    return warmup, drw, steps


def build_cfg(method, args, root):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[method]))
    epochs = args.epochs
    warmup, drw, steps = schedule(epochs)
    ride_pipeline = Config.fromfile(osp.join(
        REPO, CONFIGS['RIDE-3'])).train_dataloader.dataset.pipeline
    own = cfg.train_dataloader.dataset.pipeline
    pipeline = copy.deepcopy(ride_pipeline if args.common_aug else own)
    num_classes = 10
    if args.dataset == 'cifar10lt':
        train = dict(type='CIFAR10LT', data_root=root, split='train',
                     imb_factor=100, pipeline=pipeline)
        test = dict(type='CIFAR10LT', data_root=root, split='test',
                    pipeline=[dict(type='PackInputs')])
    else:
        num_classes = 200
        load = [dict(type='LoadImageFromFile'),
                dict(type='Resize', scale=(32, 32))]
        train = dict(type='TinyImageNetLT', data_root=root,
                     ann_file='train_lt_if100.txt', pipeline=load + pipeline)
        test = dict(type='TinyImageNetLT', data_root=root,
                    ann_file='val.txt', pipeline=load +
                    [dict(type='PackInputs')])
        # LoadImageFromFile gives BGR
        cfg.data_preprocessor.to_rgb = True
    if args.subset:
        train['indices'] = stratified_subset(train, args.subset, args.seed)
        test['indices'] = stratified_subset(test, args.subset, args.seed)
    cfg.data_preprocessor.num_classes = num_classes
    cfg.model.head.num_classes = num_classes
    loader = dict(num_workers=args.num_workers,
                  persistent_workers=args.num_workers > 0)
    evaluators = cfg.val_evaluator
    if not isinstance(evaluators, list):
        evaluators = [evaluators]
    for evaluator in evaluators:
        if evaluator.type == 'ShotAccuracy':
            evaluator.update(many_thr=args.many_thr, few_thr=args.few_thr)
    cfg.val_evaluator = cfg.test_evaluator = evaluators
    cfg.randomness = dict(seed=args.seed, deterministic=False)
    cfg.work_dir = osp.join(args.work_dir, args.dataset, method)
    cfg.launcher = 'none'
    if method == 'RIDE-3+router':
        stage1 = osp.join(args.work_dir, args.dataset, 'RIDE-3',
                          f'epoch_{epochs}.pth')
        if not osp.isfile(stage1):
            raise SystemExit(f'{stage1} not found: RIDE-3+router needs the '
                             'RIDE-3 run of the same --epochs/--work-dir.')
        cfg.load_from = stage1
        # the official router reads the top 30 of 100 CIFAR classes
        cfg.model.router.num_classes = num_classes
        cfg.model.router.top_choices = max(1, round(0.3 * num_classes))
        cfg.train_dataloader.dataset = train
        cfg.train_dataloader.update(**loader)
        cfg.val_dataloader.update(dataset=test, **loader)
        cfg.test_dataloader = cfg.val_dataloader
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=5)
        return cfg
    cfg.train_dataloader.update(batch_size=args.batch_size, dataset=train,
                                **loader)
    cfg.val_dataloader.update(dataset=test, **loader)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.optim_wrapper = dict(optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
    cfg.param_scheduler = [
        dict(type='MultiStepLR', by_epoch=True, milestones=steps,
             gamma=0.01)
    ]
    if warmup > 1:  # lr * (e + 1) / warmup for e < warmup
        cfg.param_scheduler.insert(
            0, dict(type='LinearLR', start_factor=1 / warmup,
                    by_epoch=True, begin=0, end=warmup))
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs,
                         val_interval=epochs + 1)  # test once at the end
    for hook in cfg.custom_hooks:
        if 'SwitchRecipeHook' in hook.type:
            for item in hook.schedule:
                item.action_epoch = drw + 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=epochs)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=20)
    return cfg


def main():
    args = parse_args()
    root = data_root(args)
    import mmlt  # noqa: F401
    from mmengine.runner import Runner
    warmup, drw, steps = schedule(args.epochs)
    if args.subset:
        print(f'SMOKE RUN on about {args.subset} train/test images: the '
              'accuracies below mean nothing.', flush=True)
    print(f'shot groups: many > {args.many_thr}, few < {args.few_thr} '
          'train images', flush=True)
    print(f'{args.dataset}: {args.epochs} epochs, warm-up {warmup}, lr '
          f'x0.01 at epochs {steps}, DRW from epoch {drw + 1}, seed '
          f'{args.seed}, methods {args.methods}', flush=True)
    results = {}
    for method in args.methods:
        print(f'\n===== {method} =====', flush=True)
        start = time.time()
        runner = Runner.from_cfg(build_cfg(method, args, root))
        runner.train()
        metrics = runner.test()
        results[method] = dict(
            {k.split('/')[-1]: v for k, v in metrics.items()
             if k.startswith('lt/')},
            minutes=(time.time() - start) / 60)
        results[method].update({
            f'experts_{k.split("/")[-1]}': v
            for k, v in metrics.items() if k.startswith('experts/')
        })
        print(f'{method}: {results[method]}', flush=True)

    print(f'\n{args.dataset}, last epoch ({args.epochs}), seed {args.seed}, '
          f'top-1 % on the balanced test set (many > {args.many_thr}, '
          f'few < {args.few_thr} train images)'
          f'{", common augmentation" if args.common_aug else ""}:')
    print(f'{"method":<14}{"overall":>9}{"many":>8}{"medium":>8}{"few":>8}'
          f'{"minutes":>9}{"experts":>9}{"GFLOPs":>8}')
    for method, res in results.items():
        experts = res.get('experts_avg', float('nan'))
        gflops = res.get('experts_gflops', float('nan'))
        print(f'{method:<14}{res["top1"]:>9.2f}{res["many"]:>8.2f}'
              f'{res["medium"]:>8.2f}{res["few"]:>8.2f}'
              f'{res["minutes"]:>9.1f}{experts:>9.2f}{gflops:>8.4f}')
    if 'CE' in results and 'RIDE-3' in results:
        ce, ride = results['CE'], results['RIDE-3']
        better = {k: ride[k] > ce[k] for k in ('top1', 'medium', 'few')
                  if ride[k] == ride[k] and ce[k] == ce[k]}  # skip NaN
        print('RIDE-3 vs CE: ' + ', '.join(
            f'{k} {"better" if v else "NOT better"}'
            for k, v in better.items()))
    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, f'{args.dataset}_seed{args.seed}.json')
    previous = {}
    if osp.isfile(out):  # keep the other methods of an earlier invocation
        with open(out) as f:
            previous = json.load(f).get('results', {})
    with open(out, 'w') as f:
        json.dump(dict(args=vars(args), results={**previous, **results}),
                  f, indent=1)
    print(f'results written to {out}')


if __name__ == '__main__':
    main()
