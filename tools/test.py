# Copyright (c) mmlt contributors. All rights reserved.
"""Test a checkpoint with mmlt (an mmpretrain/mmdet-compatible ``test.py``).

Besides the usual flags, ``--per-class-out DIR`` writes the per-class results
of :class:`ShotAccuracy` to ``DIR/per_class.json`` and a plot of per-class
accuracy against training frequency to ``DIR/per_class.png``.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
# isort: off
from mmlt.engine.hooks import check_class_counts_source  # noqa: E402
from mmlt.utils import dump_json  # noqa: E402
from mmlt.utils import import_task_modules  # noqa: E402
from mmlt.utils import setup_cpu_distributed  # noqa: E402
from mmlt.utils import teardown_distributed  # noqa: E402
# isort: on


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument('--out', help='dump predictions to this pickle file')
    parser.add_argument(
        '--per-class-out',
        help='write per_class.json and per_class.png to this folder')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy format')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloaders')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _as_list(evaluator):
    return list(evaluator) if isinstance(evaluator, (list, tuple)) \
        else [evaluator]


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.no_pin_memory:
        cfg.test_dataloader['pin_memory'] = False
    if cfg.test_dataloader.get('num_workers', 0) == 0:
        cfg.test_dataloader['persistent_workers'] = False
    if args.out:
        evaluators = _as_list(cfg.test_evaluator)
        evaluators.append(dict(type='DumpResults', out_file_path=args.out))
        cfg.test_evaluator = evaluators
    return cfg


def write_per_class(runner, out_dir):
    from mmlt.evaluation import ShotAccuracy, plot_per_class_accuracy
    metrics = [
        m for m in runner.test_evaluator.metrics
        if isinstance(m, ShotAccuracy) and m.per_class is not None
    ]
    if not metrics:
        runner.logger.warning('--per-class-out: the test evaluator has no '
                              'ShotAccuracy metric; nothing written.')
        return
    mkdir_or_exist(out_dir)
    per_class = metrics[0].per_class
    # strict JSON: an empty shot group's NaN is written as null
    dump_json(per_class, osp.join(out_dir, 'per_class.json'))
    png = plot_per_class_accuracy(per_class, osp.join(out_dir,
                                                      'per_class.png'))
    runner.logger.info(f'Per-class results written to {out_dir} ({png}).')


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    import_task_modules(cfg)
    cpu_distributed = setup_cpu_distributed(cfg)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    # a metric needing class counts fails now, not after an epoch
    check_class_counts_source(runner, ('test_evaluator', ))
    runner.test()
    if args.per_class_out and is_main_process():
        write_per_class(runner, args.per_class_out)
    teardown_distributed(cpu_distributed)


if __name__ == '__main__':
    main()
