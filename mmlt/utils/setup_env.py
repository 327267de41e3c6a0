# Copyright (c) mmlt contributors. All rights reserved.
"""Environment set-up shared by ``tools/train.py`` and ``tools/test.py``."""
import importlib
import os

import torch
import torch.distributed as torch_dist

__all__ = [
    'setup_cpu_distributed', 'teardown_distributed', 'import_task_modules'
]


def setup_cpu_distributed(cfg) -> bool:
    """Make ``--launcher pytorch`` work on machines without a GPU.

    mmengine 0.10.7 calls ``torch.cuda.set_device`` when it initialises the
    process group, and wraps models with ``device_ids=[LOCAL_RANK]``; both
    fail on CPU. When no GPU is available we initialise the process group
    with ``gloo`` ourselves (the Runner then skips its own initialisation)
    and wrap with ``device_ids=None``. With GPUs nothing changes (nccl).

    Returns:
        bool: Whether the CPU path was taken.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return False
    if not torch_dist.is_initialized():
        os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
        torch_dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    else:
        cfg.model_wrapper_cfg.setdefault('device_ids', None)
    return True


def teardown_distributed(cpu_distributed: bool = False) -> None:
    """Destroy the process group at the end of a run.

    On CPU (gloo) under ``torchrun`` we also leave the interpreter with
    ``os._exit(0)`` once everything is flushed: on a loaded 2-core machine a
    rank sometimes aborted in C++ static destruction at interpreter exit
    ("terminate called without an active exception", SIGABRT) after a run
    that had finished and saved everything, which made torchrun report a
    failure. Skipping interpreter teardown avoids that; the run's outputs
    are complete at this point.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
    if cpu_distributed:
        import logging
        import sys
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def import_task_modules(cfg) -> None:
    """Import mmlt, and ``mmlt.det`` for detection configs."""
    importlib.import_module('mmlt')
    if cfg.get('default_scope') == 'mmdet':
        importlib.import_module('mmlt.det')
