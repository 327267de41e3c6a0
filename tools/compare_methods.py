# Copyright (c) mmlt contributors. All rights reserved.
"""Train several methods with the same data, budget, augmentation and
optimiser on a real long-tailed set; print overall / many / medium / few
accuracy at the last epoch.

Methods are configs: ``--methods NAME`` for a preset (``--list`` shows
them) or ``NAME=path/to/config.py`` for any classification config. Every
method runs its own model and loss on:

- the same data (from ``../shared/data``, extracted once into
  ``--cache-dir``): ``cifar10lt`` = CIFAR-10-LT IF100 (12,406 train images,
  LDAM/RIDE protocol: seeded per-class selection, seed 0; balanced 10,000
  test images) or ``tinyimagenetlt`` = Tiny-ImageNet-200-LT IF100 resized to
  32x32 (21,549 train images, balanced 10,000-image val set);
- with ``--recipe common`` (default), the same optimiser and schedule:
  ``--epochs`` epochs, batch ``--batch-size`` (per view for two-view
  methods), SGD 0.1 (momentum 0.9, Nesterov, wd 5e-4; parameter-wise
  settings of a config, e.g. no decay on AGLU's lambda/kappa, are kept),
  linear warm-up over the first ``min(5, epochs // 10)`` epochs, x0.01 at
  80% and again at 90% of the epochs (LDAM-DRW/RIDE's 160/180 of 200);
  epoch-valued method settings (the DRW epoch, a stage switch, a ramp) are
  scaled from the config's length to ``--epochs``; a classifier
  re-training stage (SHIKE's last 10 %) restarts from the base lr with a
  cosine to 0 over its epochs, as its own recipe restarts;
- with ``--aug common`` (default), the same augmentation: RandomCrop(32, 4)
  + horizontal flip for every view; a two-view method keeps its
  strong-view operations (e.g. AutoAugment + Cutout) on top.

``--recipe own`` / ``--aug own`` keep each config's own optimiser /
pipeline instead (the schedule is still shortened to ``--epochs``).

A distilled preset (``DeiT-LT``) uses the last checkpoint of its teacher
preset (``LDAM-DRW-SAM``) from the same ``--work-dir``, ``--dataset`` and
``--epochs`` as its frozen teacher. The ViT presets (``ViT``, ``DeiT-LT``)
are meant for ``--recipe own --aug own`` (AdamW, RandAugment, Mixup/CutMix;
SGD 0.1 does not train a ViT).
A stage-2 preset (``RIDE-3+router``) trains on the checkpoint of its
stage-1 method from the same ``--work-dir``, ``--dataset`` and ``--epochs``
with its own (5-epoch) recipe, and reports experts and GFLOPs per image.
Results of earlier invocations with the same work dir are kept in the
results JSON, so methods can be added one at a time.

Example (the table in the README)::

    python tools/compare_methods.py --dataset cifar10lt --epochs 20 \\
        --seed 0 --many-thr 1500 --few-thr 200 \\
        --methods CE LDAM-DRW RIDE-3 --work-dir work_dirs/compare
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import tarfile
import time
from typing import Dict, List, Optional, Tuple

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))

#: Preset methods: name -> (config, stage-1 preset or None).
PRESETS = {
    'CE': ('configs/baselines/ce_r32_1xb128-200e_cifar100lt-if100.py', None),
    'Balanced-Softmax':
    ('configs/baselines/balanced-softmax_r32_1xb128-200e_cifar100lt-if100.py',
     None),
    'LDAM-DRW':
    ('configs/baselines/ldam-drw_r32_1xb128-200e_cifar100lt-if100.py', None),
    'LDAM-DRW-SAM': ('configs/deit_lt/teachers/'
                     'ldam-drw-sam_r32_1xb128-200e_cifar100lt-if100.py', None),
    'ViT': ('configs/deit_lt/ce_vit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py',
            None),
    'DeiT-LT':
    ('configs/deit_lt/deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py',
     None),
    'DeiT-LT-LDAM-DRW':
    ('configs/deit_lt/deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py',
     None),
    'RIDE-3': ('configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py',
               None),
    'RIDE-3+router':
    ('configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py',
     'RIDE-3'),
    'MDCS': ('configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py', None),
    'MDCS-APA':
    ('configs/mdcs/mdcs-aglu-apa-se_r32_1xb64-400e_cifar100lt-if100.py', None),
    'SHIKE': ('configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py', None),
    'PaCo': ('configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py', None),
    'PaCo-SAM': ('configs/paco/paco-sam_r32_1xb128-400e_cifar100lt-if100.py',
                 None),
    'cosine-IIF':
    ('configs/apa/cosine-iif_r32_1xb512-500e_cifar100lt-if100.py', None),
    'APA': ('configs/apa/aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py',
            None),
}
#: Distilled presets: student -> the preset whose last checkpoint (same
#: ``--work-dir``, ``--dataset`` and ``--epochs``) is its frozen teacher.
TEACHERS = {'DeiT-LT': 'LDAM-DRW-SAM', 'DeiT-LT-LDAM-DRW': 'LDAM-DRW'}
DEFAULT_METHODS = ['CE', 'LDAM-DRW', 'RIDE-3', 'MDCS', 'SHIKE']
ARCHIVES = {
    'cifar10lt': ('cifar10-jpg.tgz', 'cifar10'),
    'tinyimagenetlt': ('tiny-imagenet-200-lt.tgz', 'tiny-imagenet-200-lt'),
}
COMMON_AUG = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
#: Operations the common augmentation replaces in every view.
BASE_AUG_OPS = ('RandomCrop', 'RandomFlip', 'NumpyToPIL', 'PILToNumpy',
                'torchvision/RandomRotation', 'RandomResizedCrop')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--dataset', choices=sorted(ARCHIVES), default='cifar10lt')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=DEFAULT_METHODS,
        help='preset names or NAME=CONFIG')
    parser.add_argument(
        '--list', action='store_true', help='list the presets and exit')
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--recipe', choices=['common', 'own'], default='common')
    parser.add_argument('--aug', choices=['common', 'own'], default='common')
    parser.add_argument(
        '--shared-data',
        default=os.environ.get('MMLT_SHARED_DATA',
                               osp.join(REPO, '..', 'shared', 'data')))
    parser.add_argument(
        '--cache-dir',
        default=osp.join(osp.expanduser('~'), '.cache', 'mmlt', 'test-data'),
        help='where the archives are extracted (once)')
    parser.add_argument('--work-dir', default='work_dirs/compare_methods')
    parser.add_argument(
        '--many-thr',
        type=int,
        default=100,
        help='many-shot: more than this many train images')
    parser.add_argument(
        '--few-thr',
        type=int,
        default=20,
        help='few-shot: fewer than this many train images '
        '(CIFAR-10-LT has no class under 20: try 1500/200 '
        'for 3/4/3 groups)')
    parser.add_argument(
        '--subset',
        type=int,
        default=0,
        help='smoke test: about this many train and test '
        'images, in proportion per class (0: all)')
    return parser.parse_args(argv)


def resolve_methods(specs: List[str]) -> Dict[str, Tuple[str, str]]:
    """``NAME`` or ``NAME=CONFIG`` -> {name: (config path, stage-1 name)}."""
    methods = {}
    for spec in specs:
        name, sep, config = spec.partition('=')
        if sep:
            path = config if osp.isabs(config) else osp.join(REPO, config)
            if not osp.isfile(path):
                raise SystemExit(f'method {name}: config {config} not found')
            methods[name] = (path, None)
        elif name in PRESETS:
            config, stage1 = PRESETS[name]
            methods[name] = (osp.join(REPO, config), stage1)
        else:
            raise SystemExit(f'unknown method {name!r}: choose a preset '
                             f'({", ".join(PRESETS)}) or give NAME=CONFIG')
    return methods


def stratified_subset(dataset_cfg, size, seed):
    """About ``size`` indices keeping each class's share (at least one image
    per class)."""
    import numpy as np

    from mmlt.registry import DATASETS

    # labels only: no pipeline (a MultiView one needs the default scope)
    labels = np.asarray(
        DATASETS.build(dict(dataset_cfg, pipeline=[])).get_gt_labels())
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n = max(1, int(round(size * len(members) / len(labels))))
        keep += rng.choice(
            members, size=min(n, len(members)), replace=False).tolist()
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


def schedule(epochs: int) -> Tuple[int, List[int]]:
    """Warm-up epochs and the two x0.01 milestones of the common recipe."""
    warmup = min(5, max(1, epochs // 10))
    first = int(round(0.8 * epochs))
    return warmup, [first, max(first + 1, int(round(0.9 * epochs)))]


def common_views(pipeline: list) -> list:
    """The common augmentation in every view of ``pipeline`` (which ends
    with ``PackInputs``); a ``MultiView`` keeps its other operations."""
    for i, t in enumerate(pipeline):
        if t['type'] == 'MultiView':
            views = []
            for view in t['transforms']:
                extra = [op for op in view if op['type'] not in BASE_AUG_OPS]
                views.append(copy.deepcopy(COMMON_AUG) + extra)
            return pipeline[:i] + [dict(t, transforms=views)] + \
                pipeline[i + 1:]
    return copy.deepcopy(COMMON_AUG) + [pipeline[-1]]


def scale_epoch_settings(cfg, epochs: int) -> None:
    """Scale the epoch-valued settings of the config's hooks (those a hook
    class lists in ``epoch_args``) from the config's length to
    ``epochs``; a setting of one epoch or more stays at least one epoch
    (e.g. MDCS's 20-epoch ramp of a 400-epoch schedule on a 10-epoch
    budget)."""
    from mmlt.registry import HOOKS
    length = cfg.train_cfg.max_epochs
    hooks = list(cfg.get('custom_hooks', []) or [])
    hooks += [h for h in (cfg.get('default_hooks') or {}).values() if h]
    for hook in hooks:
        for key in getattr(HOOKS.get(hook['type']), 'epoch_args', ()):
            value = hook.get(key)
            if value is not None:
                scaled = int(round(value * epochs / length))
                hook[key] = max(scaled, 1) if value >= 1 else scaled


def build_cfg(name: str, config: str, stage1: Optional[str], args, root):
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    epochs = args.epochs
    num_classes = 10
    pipeline = cfg.train_dataloader.dataset.pipeline
    if args.aug == 'common':
        pipeline = common_views(pipeline)
    if args.dataset == 'cifar10lt':
        train = dict(
            type='CIFAR10LT',
            data_root=root,
            split='train',
            imb_factor=100,
            pipeline=pipeline)
        test = dict(
            type='CIFAR10LT',
            data_root=root,
            split='test',
            pipeline=[dict(type='PackInputs')])
    else:
        num_classes = 200
        load = [
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(32, 32))
        ]
        train = dict(
            type='TinyImageNetLT',
            data_root=root,
            ann_file='train_lt_if100.txt',
            pipeline=load + pipeline)
        test = dict(
            type='TinyImageNetLT',
            data_root=root,
            ann_file='val.txt',
            pipeline=load + [dict(type='PackInputs')])
        cfg.data_preprocessor.to_rgb = True  # LoadImageFromFile gives BGR
    if args.subset:
        train['indices'] = stratified_subset(train, args.subset, args.seed)
        test['indices'] = stratified_subset(test, args.subset, args.seed)
    cfg.data_preprocessor.num_classes = num_classes
    cfg.model.head.num_classes = num_classes
    if 'router' in cfg.model:
        cfg.model.router.num_classes = num_classes
        # the official router reads the top 30 of 100 CIFAR classes
        cfg.model.router.top_choices = max(1, round(0.3 * num_classes))
    loader = dict(
        num_workers=args.num_workers, persistent_workers=args.num_workers > 0)
    evaluators = cfg.val_evaluator
    if not isinstance(evaluators, list):
        evaluators = [evaluators]
    for evaluator in evaluators:
        if evaluator.type == 'ShotAccuracy':
            evaluator.update(many_thr=args.many_thr, few_thr=args.few_thr)
    cfg.val_evaluator = cfg.test_evaluator = evaluators
    cfg.randomness = dict(seed=args.seed, deterministic=False)
    cfg.work_dir = osp.join(args.work_dir, args.dataset, name)
    cfg.launcher = 'none'
    cfg.train_dataloader.dataset = train
    cfg.train_dataloader.update(**loader)
    cfg.val_dataloader.update(dataset=test, **loader)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=20)
    if stage1 is not None:  # stage 2 on its stage-1 checkpoint, own recipe
        ckpt = osp.join(args.work_dir, args.dataset, stage1,
                        f'epoch_{epochs}.pth')
        if not osp.isfile(ckpt):
            raise SystemExit(f'{ckpt} not found: {name} needs the {stage1} '
                             'run of the same --epochs/--work-dir.')
        cfg.load_from = ckpt
        return cfg
    teacher = TEACHERS.get(name)
    if teacher is not None:  # the teacher row's model and last checkpoint
        ckpt = osp.join(args.work_dir, args.dataset, teacher,
                        f'epoch_{epochs}.pth')
        if not osp.isfile(ckpt):
            raise SystemExit(f'{ckpt} not found: {name} distils from the '
                             f'{teacher} run of the same --epochs/--work-dir '
                             f'(run --methods {teacher} first).')
        teacher_cfg = build_cfg(teacher, osp.join(REPO, PRESETS[teacher][0]),
                                None, args, root)
        cfg.model.teacher.update(
            config=teacher_cfg.model.to_dict(), checkpoint=ckpt)
    scale_epoch_settings(cfg, epochs)
    cfg.train_dataloader.batch_size = args.batch_size
    if args.recipe == 'common':  # the optimiser; SAM stays SAM (its rho)
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        cfg.optim_wrapper.type = 'SAMOptimWrapper' if 'SAM' in wrapper \
            else 'OptimWrapper'
        cfg.optim_wrapper.optimizer = dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    warmup, steps = schedule(epochs)
    cfg.param_scheduler = [
        dict(type='MultiStepLR', by_epoch=True, milestones=steps, gamma=0.01)
    ]
    if warmup > 1:  # lr * (e + 1) / warmup for e < warmup
        cfg.param_scheduler.insert(
            0,
            dict(
                type='LinearLR',
                start_factor=1 / warmup,
                by_epoch=True,
                begin=0,
                end=warmup))
    retrain = [
        h for h in cfg.get('custom_hooks', []) or []
        if h['type'] == 'ClassifierRetrainingHook'
    ]
    if retrain:  # re-training restarts from the base lr: cosine to 0
        switch = retrain[0]['start_epoch']
        cfg.param_scheduler[-1]['end'] = switch
        cfg.param_scheduler.append(
            dict(
                type='CosineAnnealingLR',
                T_max=epochs - switch,
                eta_min=0.,
                by_epoch=True,
                begin=switch,
                end=epochs))
    cfg.train_cfg = dict(
        by_epoch=True, max_epochs=epochs,
        val_interval=epochs + 1)  # test once at the end
    if retrain:  # and at the end of stage 1, to show the re-training jump
        cfg.train_cfg.update(val_begin=switch, val_interval=switch)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs)
    return cfg


def stage1_metrics(runner) -> Dict[str, float]:
    """``stage1_top1`` / ``_many`` / ``_medium`` / ``_few``: the first of
    two or more validations of the run (a re-training method's end of stage
    1, see :func:`build_cfg`); empty for a run validated once."""
    hub = runner.message_hub
    out = {}
    for group in ('top1', 'many', 'medium', 'few'):
        key = f'val/lt/{group}'
        if key in hub.log_scalars:
            values = hub.get_scalar(key).data[0]
            if len(values) > 1:
                out[f'stage1_{group}'] = float(values[0])
    return out


def router_gflops(cfg, usage: Dict[str, float]) -> Dict[str, float]:
    """GFLOPs per 32x32 image with the router (tools/analysis_tools)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'get_flops', osp.join(REPO, 'tools', 'analysis_tools', 'get_flops.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from mmlt.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    flops = module.model_flops(MODELS.build(model_cfg), (32, 32))
    per_k = flops['per_k']
    fractions = [usage.get(f'frac_{k}', 0.) for k in range(1, len(per_k) + 1)]
    return dict(
        gflops=module.routed_flops(per_k, fractions) / 1e9,
        gflops_all=per_k[-1] / 1e9)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, (config, stage1) in PRESETS.items():
            after = f' (stage 2 of {stage1})' if stage1 else ''
            print(f'{name:<18}{config}{after}')
        return {}
    methods = resolve_methods(args.methods)
    root = data_root(args)
    sys.path.insert(0, REPO)
    from mmengine.runner import Runner

    import mmlt  # noqa: F401
    warmup, steps = schedule(args.epochs)
    if args.subset:
        print(
            f'SMOKE RUN on about {args.subset} train/test images: the '
            'accuracies below mean nothing.',
            flush=True)
    print(
        f'shot groups: many > {args.many_thr}, few < {args.few_thr} '
        'train images',
        flush=True)
    print(
        f'{args.dataset}: {args.epochs} epochs, batch {args.batch_size}, '
        f'recipe {args.recipe} (warm-up {warmup}, lr x0.01 at epochs '
        f'{steps}), augmentation {args.aug}, seed {args.seed}, methods '
        f'{list(methods)}',
        flush=True)
    results = {}
    for name, (config, stage1) in methods.items():
        print(
            f'\n===== {name} ({osp.relpath(config, REPO)}) =====', flush=True)
        start = time.time()
        cfg = build_cfg(name, config, stage1, args, root)
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.test()
        res = {
            k.split('/')[-1]: v
            for k, v in metrics.items() if k.startswith('lt/')
        }
        usage = {
            k.split('/')[-1]: v
            for k, v in metrics.items() if k.startswith('experts/')
        }
        res.update({f'experts_{k}': v for k, v in usage.items()})
        res.update(stage1_metrics(runner))
        if 'router' in cfg.model:
            res.update({
                f'experts_{k}': v
                for k, v in router_gflops(cfg, usage).items()
            })
        res['minutes'] = (time.time() - start) / 60
        res['config'] = osp.relpath(config, REPO)
        results[name] = res
        print(f'{name}: {res}', flush=True)
        save_results(args, {name: res})  # each method as soon as it ends

    out = save_results(args, {})
    with open(out) as f:  # this and earlier invocations
        merged = json.load(f)['results']
    print(f'\n{args.dataset}, last epoch ({args.epochs}), seed {args.seed}, '
          f'recipe {args.recipe}, augmentation {args.aug}; top-1 % on the '
          f'balanced test set (many > {args.many_thr}, few < {args.few_thr} '
          'train images):')
    print(f'{"method":<16}{"overall":>9}{"many":>8}{"medium":>8}{"few":>8}'
          f'{"minutes":>9}{"experts":>9}{"GFLOPs":>8}')
    for name, res in merged.items():
        experts = res.get('experts_avg', float('nan'))
        gflops = res.get('experts_gflops', float('nan'))
        print(f'{name:<16}{res["top1"]:>9.2f}{res["many"]:>8.2f}'
              f'{res["medium"]:>8.2f}{res["few"]:>8.2f}'
              f'{res["minutes"]:>9.1f}{experts:>9.2f}{gflops:>8.4f}')
    print(f'results written to {out}')
    return results


def save_results(args, results: dict) -> str:
    """Merge ``results`` into the json of this run's settings in
    ``--work-dir`` (e.g. ``cifar10lt_20e_seed0.json``; recipe, augmentation
    and subset in the name when not the defaults), keeping the methods of
    earlier invocations with the same settings, and return its path."""
    os.makedirs(args.work_dir, exist_ok=True)
    name = f'{args.dataset}_{args.epochs}e'
    if args.recipe != 'common' or args.aug != 'common':
        name += f'_recipe-{args.recipe}_aug-{args.aug}'
    if args.subset:
        name += f'_subset{args.subset}'
    out = osp.join(args.work_dir, f'{name}_seed{args.seed}.json')
    previous = {}
    if osp.isfile(out):
        with open(out) as f:
            previous = json.load(f).get('results', {})
    with open(out, 'w') as f:
        json.dump(
            dict(args=vars(args), results={
                **previous,
                **results
            }),
            f,
            indent=1)
    return out


if __name__ == '__main__':
    main()
