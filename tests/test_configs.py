"""Every classification config under configs/ loads, builds its model and
runs one training forward/backward step and one prediction on tiny inputs
(no weights are downloaded or loaded). Detection configs (default_scope
'mmdet') are exercised in tests/test_det."""
import copy
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.datasets import long_tailed_counts
from mmlt.registry import MODELS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
    if '_base_' not in p.parts)
# Configs whose models need another harness than this classification one
# (config folder -> the test that builds and runs every config in it).
OWN_HARNESS = {
    'configs/p2ot/':
    'tests/test_p2ot/test_p2ot_configs.py '
    '(multi-view clustering models)',
}


def strip_pretrained(node):
    """Drop `Pretrained` init_cfgs / checkpoints so nothing is loaded."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == 'init_cfg' and (
                (isinstance(v, dict) and v.get('type') == 'Pretrained') or
                (isinstance(v, list) and any(
                    isinstance(i, dict) and i.get('type') == 'Pretrained'
                    for i in v))):
                continue
            if k == 'pretrained':
                out[k] = None
                continue
            if k == 'teacher' and isinstance(v, dict):  # untrained teacher
                out[k] = dict(v, checkpoint=None)
                continue
            out[k] = strip_pretrained(v)
        return out
    if isinstance(node, list):
        return [strip_pretrained(v) for v in node]
    return node


def _num_classes(cfg):
    head = cfg.model.get('head', {}) or {}
    return head.get('num_classes') or cfg.data_preprocessor['num_classes']


def _input_size(cfg):
    pipeline = cfg.train_dataloader.dataset.get('pipeline', [])
    loads_files = any(t.get('type') == 'LoadImageFromFile' for t in pipeline)
    return 64 if loads_files else 32


def _num_views(cfg):
    """Views per image of the train pipeline (``MultiView``), else 1."""
    for t in cfg.train_dataloader.dataset.get('pipeline', []):
        if t.get('type') == 'MultiView':
            views = t['num_views']
            return sum(views) if isinstance(views, list) else views
    return 1


def test_configs_found():
    assert any('baselines' in c for c in CONFIGS)
    assert any('demo' in c for c in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds_and_runs_one_step(path):
    for folder, harness in OWN_HARNESS.items():
        if path.startswith(folder):
            pytest.skip(f'{path}: built and run by {harness}')
    cfg = Config.fromfile(str(REPO / path))
    if cfg.get('default_scope') != 'mmpretrain':
        pytest.skip(f'{path}: detection config, tested in tests/test_det')
    model_cfg = strip_pretrained(copy.deepcopy(cfg.model.to_dict()))
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor',
                             cfg.data_preprocessor.to_dict())
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    num_classes = _num_classes(cfg)
    counts = long_tailed_counts(num_classes, 200, 10)
    for m in model.modules():
        if hasattr(m, 'set_class_counts'):
            m.set_class_counts(counts)

    size = _input_size(cfg)
    batch = 4
    rng = np.random.RandomState(0)

    def image():
        return torch.from_numpy(
            rng.randint(0, 255, (3, size, size), dtype=np.uint8))

    data = dict(
        inputs=[image() for _ in range(batch)],
        data_samples=[
            DataSample().set_gt_label(int(i))
            for i in rng.randint(0, num_classes, batch)
        ])
    # Models fed per-sample meta (MetaFG) get a random meta vector.
    meta_dims = getattr(getattr(model, 'backbone', None), 'meta_dims', ())
    if meta_dims:
        for sample in data['data_samples']:
            sample.set_field(
                torch.from_numpy(rng.rand(sum(meta_dims)).astype(np.float32)),
                'meta')
    views = _num_views(cfg)
    train_data = data if views == 1 else dict(
        data, inputs=[[image() for _ in range(views)] for _ in range(batch)])
    model.train()
    losses = model(**model.data_preprocessor(train_data, True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total), losses
    total.backward()
    assert any(p.grad is not None for p in model.parameters())

    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(data, False), mode='predict')
    assert len(preds) == batch
    assert preds[0].pred_score.shape == (num_classes, )


def _snapshot_tool():
    spec = importlib.util.spec_from_file_location(
        'config_snapshot', REPO / 'tools' / 'misc' / 'config_snapshot.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('path', CONFIGS)
def test_built_config_matches_its_snapshot(path):
    """Every built config equals ``tests/data/config_snapshots``: a change
    of a base file or a child that alters what the Runner reads shows up
    here and, once accepted with ``tools/misc/config_snapshot.py
    --update``, as a reviewable diff of the snapshot."""
    tool = _snapshot_tool()
    snapshot = tool.snapshot_file(path)
    assert snapshot.exists(), (
        f'{path} has no snapshot: run python tools/misc/config_snapshot.py '
        '--update and review the new file')
    diff = tool.diff(json.loads(snapshot.read_text()), tool.built_config(path))
    assert not diff, f'{path} changed:\n' + '\n'.join(diff)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_has_the_safety_hooks(path):
    """Every shipped config, also those starting from an mmdet or
    mmpretrain base (no mmlt default runtime), stops at the first NaN/inf
    loss and syncs BatchNorm buffers over DDP ranks before validation and
    checkpointing."""
    if path.startswith('configs/apa_det/'):
        pytest.importorskip('mmdet', reason='detection configs need mmdet')
    hooks = Config.fromfile(str(REPO / path)).default_hooks
    types = {k: (v or {}).get('type') for k, v in hooks.items()}
    assert types.get('finite_loss', '').endswith('FiniteLossHook'), types
    assert types.get('sync_buffers') == 'SyncBuffersHook', types
