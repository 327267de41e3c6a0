# Copyright (c) mmlt contributors. All rights reserved.
"""Write or check the built form of every config under ``configs/``.

Each config is loaded with ``Config.fromfile`` (inheritance, ``_delete_``,
``{{_base_.x}}`` substitution all resolved) and the keys the Runner reads
are stored as sorted JSON in
``tests/data/config_snapshots/<config path>.json``. ``tests/test_configs.py``
compares the configs of the working tree with these files, so a change to a
base file or a child config that alters any built key shows up as a failing
test and, once accepted with ``--update``, as a reviewable diff of the
snapshot files.

Usage::

    python tools/misc/config_snapshot.py --check    # list differences
    python tools/misc/config_snapshot.py --update   # accept the current ones
"""
import argparse
import json
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = REPO / 'tests' / 'data' / 'config_snapshots'
#: The keys the Runner and ``tools/train.py`` read; other top-level keys are
#: the config files' helper variables.
RUNNER_KEYS = ('model', 'data_preprocessor', 'train_dataloader',
               'val_dataloader', 'test_dataloader', 'val_evaluator',
               'test_evaluator', 'train_cfg', 'val_cfg', 'test_cfg',
               'optim_wrapper', 'param_scheduler', 'default_hooks',
               'custom_hooks', 'auto_scale_lr', 'default_scope',
               'custom_imports', 'env_cfg', 'load_from', 'resume',
               'randomness', 'log_level', 'log_processor', 'visualizer',
               'launcher', 'model_wrapper_cfg', 'runner_type')


def config_paths() -> List[str]:
    """Every config (not ``_base_`` fragments), relative to the repo."""
    return sorted(
        str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
        if '_base_' not in p.parts)


def _plain(node):
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(v) for v in node]
    if isinstance(node, float) and node != node:
        return 'NaN'
    return node


def built_config(path: str) -> Dict:
    """The Runner's keys of the built config of ``path`` as plain JSON-able
    data (tuples become lists; machine-specific paths are made
    repository-relative)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / path)).to_dict()
    text = json.dumps(
        _plain({k: v for k, v in cfg.items() if k in RUNNER_KEYS}),
        sort_keys=True)
    return json.loads(text.replace(str(REPO) + '/', ''))


def snapshot_file(path: str) -> Path:
    return SNAPSHOTS / (path + '.json')


def diff(a, b, prefix: str = '') -> List[str]:
    """Human-readable differences between two JSON trees."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            where = f'{prefix}.{key}' if prefix else key
            if key not in a:
                out.append(f'+ {where} = {b[key]!r}')
            elif key not in b:
                out.append(f'- {where} (was {a[key]!r})')
            else:
                out += diff(a[key], b[key], where)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f'{prefix}[{i}]')
        return out
    return [] if a == b else [f'~ {prefix}: {a!r} -> {b!r}']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--update', action='store_true')
    group.add_argument('--check', action='store_true')
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import mmlt  # noqa: F401
    paths = config_paths()
    changed = 0
    for path in paths:
        current = built_config(path)
        target = snapshot_file(path)
        old = json.loads(target.read_text()) if target.exists() else None
        if old == current:
            continue
        changed += 1
        if args.update:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(current, indent=1, sort_keys=True)
                              + '\n')
            print(f'updated {osp.relpath(target, REPO)}')
        else:
            print(f'{path}:')
            for line in (diff(old, current) if old is not None else
                         ['(no snapshot)']):
                print(f'  {line}')
    known = {snapshot_file(p) for p in paths}
    for stale in SNAPSHOTS.rglob('*.json') if SNAPSHOTS.exists() else []:
        if stale not in known:
            changed += 1
            if args.update:
                stale.unlink()
                print(f'removed {osp.relpath(stale, REPO)}')
            else:
                print(f'{osp.relpath(stale, REPO)}: config no longer exists')
    print(f'{len(paths)} configs, {changed} '
          f'{"updated" if args.update else "differ"}')
    if args.check and changed:
        sys.exit(1)


if __name__ == '__main__':
    main()
