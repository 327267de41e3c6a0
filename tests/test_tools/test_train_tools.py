"""tools/train.py, tools/test.py, dist_*.sh and the demo, run as users do."""
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from mmengine.config import Config

from .._demo import DEMO_COUNTS, subset
from .._demo import tiny_demo_cfg as tiny_cfg

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _env():
    env = dict(os.environ)
    env['PATH'] = f'{Path(PY).parent}:{env["PATH"]}'
    env['PYTHONUNBUFFERED'] = '1'
    env['OMP_NUM_THREADS'] = '1'
    return env


def _run(cmd, timeout=600):
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def _metrics(out, mode='test'):
    """All metrics (``prefix/name: value``) of the last ``Epoch(mode)``
    summary line, as printed (timings left out)."""
    lines = [
        line for line in out.splitlines()
        if f'Epoch({mode})' in line and 'lt/top1' in line
    ]
    assert lines, out[-3000:]
    found = dict(re.findall(r'(\S+/\S+): (\S+)', lines[-1]))
    assert 'lt/ece' in found, lines[-1]
    return found


def _dump(cfg, path):
    cfg.dump(str(path))
    return str(path)


def test_resume_after_kill(demo_data_root, tmp_path):
    work = tmp_path / 'work'
    cfg = tiny_cfg(demo_data_root, work, epochs=6)
    cfg.train_dataloader.dataset.indices = subset(DEMO_COUNTS, 13)
    cfg.model.head.loss = dict(type='CrossEntropyLoss')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    config = _dump(cfg, tmp_path / 'cfg.py')
    proc = subprocess.Popen([PY, 'tools/train.py', config],
                            cwd=REPO,
                            env=_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    while not (work / 'epoch_2.pth').exists():
        assert proc.poll() is None, 'training ended before it was killed'
        assert time.time() < deadline
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(p.name for p in work.glob('epoch_*.pth'))
    assert 'epoch_6.pth' not in done, 'the run finished before the kill'
    last = max(int(n[6:-4]) for n in done)

    out = _run([PY, 'tools/train.py', config, '--resume'])
    assert f'resumed epoch: {last}' in out
    epochs = [int(e) for e in re.findall(r'Epoch\(train\)\s+\[(\d+)\]', out)]
    assert epochs[0] == last + 1 and epochs[-1] == 6
    assert (work / 'epoch_6.pth').exists()


def test_dist_train_and_test_on_cpu_match_single_process(
        demo_data_root, tmp_path):
    work = tmp_path / 'ddp'
    cfg = tiny_cfg(demo_data_root, work, epochs=1)
    # an odd number of test images: DDP padding must not be counted
    cfg.val_dataloader.dataset.indices = subset([200] * 10, 4)[:-1]
    cfg.test_dataloader = cfg.val_dataloader
    # a deferred re-weighting loss switch must work through the DDP wrapper
    cfg.custom_hooks = [
        dict(
            type='DDPSwitchRecipeHook',
            schedule=[
                dict(
                    action_epoch=1,
                    loss=dict(type='LogitAdjustedLoss', tau=0.5))
            ]),
    ]
    config = _dump(cfg, tmp_path / 'cfg.py')
    out = _run(['bash', 'tools/dist_train.sh', config, '2'])
    assert 'Switch loss at epoch 1' in out
    assert 'Distributed training is not used' not in out
    # 68 images, batch 16: 3 iterations per rank with 2 ranks (5 with 1)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[3/3\]', out), out[-3000:]
    ddp_val = _metrics(out, mode='val')
    ckpt = str(work / 'epoch_1.pth')
    single = _run([
        PY, 'tools/test.py', config, ckpt, '--work-dir',
        str(tmp_path / 't1')
    ])
    dist = _run([
        'bash', 'tools/dist_test.sh', config, ckpt, '2', '--work-dir',
        str(tmp_path / 't2')
    ])
    assert _metrics(single) == _metrics(dist)
    # SyncBuffersHook: the ranks' BatchNorm statistics are averaged before
    # the checkpoint and the in-training validation, so that validation
    # agrees with the checkpoint in every metric (ECE included)
    assert _metrics(single) == ddp_val


def test_test_tool_writes_per_class_outputs(demo_data_root, tmp_path):
    work = tmp_path / 'w'
    cfg = tiny_cfg(demo_data_root, work, epochs=1)
    config = _dump(cfg, tmp_path / 'cfg.py')
    _run([PY, 'tools/train.py', config])
    out_dir = tmp_path / 'per_class'
    _run([
        PY, 'tools/test.py', config,
        str(work / 'epoch_1.pth'), '--per-class-out',
        str(out_dir), '--out',
        str(tmp_path / 'preds.pkl')
    ])
    assert (out_dir / 'per_class.json').stat().st_size > 0
    png = (out_dir / 'per_class.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n'
    assert (tmp_path / 'preds.pkl').exists()


def test_demo_script_runs(tmp_path):
    """The demo with the CE column trained here and stored, then shown
    from the stored file; a stored result of other epochs is refused."""
    ref = tmp_path / 'ce.json'
    out = _run([
        PY, 'tools/demo.py', '--epochs', '1', '--work-dir',
        str(tmp_path / 'demo'), '--baseline', 'train', '--save-baseline',
        str(ref)
    ])
    assert 'overall (top-1)' in out and 'few (3 classes)' in out
    assert 'plain CE' in out and 'Balanced Softmax' in out
    assert (tmp_path / 'demo' / 'per_class.png').exists()
    stored = json.loads(ref.read_text())
    assert stored['epochs'] == 1 and stored['seed'] == 0
    assert stored['config'].startswith('configs/demo/ce_')
    assert len(stored['per_class']['accuracy']) == 10

    spec = importlib.util.spec_from_file_location(
        'mmlt_demo',
        Path(REPO) / 'tools' / 'demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    got, why = demo.load_reference(str(ref), stored['config'], 1, 0)
    assert got == stored and why is None
    got, why = demo.load_reference(str(ref), stored['config'], 40, 0)
    assert got is None and "epochs 1 (this run: 40)" in why
    got, why = demo.load_reference(
        str(tmp_path / 'none.json'), stored['config'], 1, 0)
    assert got is None and 'no stored CE result' in why
    # the shipped reference is what `make demo` shows: it must match the
    # demo config's epochs and seed
    got, why = demo.load_reference(
        str(Path(REPO) / demo.REFERENCE), demo.BASELINE,
        Config.fromfile(str(Path(REPO) / demo.CONFIG)).train_cfg.max_epochs, 0)
    assert why is None, why


def test_short_real_training_beats_chance(cifar10_jpg_root, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(
        'configs/baselines/ce_r32_1xb128-200e_cifar100lt-if100.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.head.num_classes = 10
    cfg.model.data_preprocessor = dict(cfg.data_preprocessor, num_classes=10)
    for name in ('train_dataloader', 'val_dataloader'):
        cfg[name].dataset.type = 'CIFAR10LT'
        cfg[name].dataset.data_root = str(cifar10_jpg_root)
        cfg[name].num_workers = 0
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = [
        dict(
            type='LinearLR', start_factor=0.2, by_epoch=False, begin=0, end=50)
    ]
    cfg.default_hooks.logger.interval = 20
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    # chance is 10% on the balanced 10,000-image test set (2 epochs of
    # CIFAR-10-LT IF100 gave 21.5% top-1 here)
    assert metrics['lt/top1'] > 15, metrics
    assert metrics['lt/many'] > 15, metrics


def test_train_without_class_counts_fails_before_the_first_epoch(
        demo_data_root, tmp_path):
    cfg = tiny_cfg(demo_data_root, tmp_path / 'work', epochs=1)
    cfg.default_hooks.pop('class_counts')
    config = _dump(cfg, tmp_path / 'cfg.py')
    proc = subprocess.run([PY, 'tools/train.py', config],
                          cwd=REPO,
                          env=_env(),
                          capture_output=True,
                          text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'ShotAccuracy needs the per-class training counts' in out, \
        out[-3000:]
    assert 'Epoch(train)' not in out
    assert not list((tmp_path / 'work').rglob('*.pth'))


def _fake_python(path, tag):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/usr/bin/env bash\necho "{tag} $@"\n')
    path.chmod(0o755)


def test_dist_scripts_pick_the_repo_venv_python(tmp_path):
    """``PYTHON`` if set, else ``<repo>/.venv/bin/python``, else ``python``
    on the PATH (no real launch: fake interpreters echo their arguments)."""
    repo = tmp_path / 'repo'
    (repo / 'tools').mkdir(parents=True)
    for script in ('dist_train.sh', 'dist_test.sh'):
        (repo / 'tools' / script).write_text(
            (REPO / 'tools' / script).read_text())
    _fake_python(tmp_path / 'bin' / 'python', 'PATH-PYTHON')
    env = dict(os.environ)
    env.pop('PYTHON', None)
    env['PATH'] = f'{tmp_path / "bin"}:{env["PATH"]}'

    def launch(script, *args, **extra):
        proc = subprocess.run(['bash', f'tools/{script}', *args],
                              cwd=repo,
                              env={
                                  **env,
                                  **extra
                              },
                              capture_output=True,
                              text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = launch('dist_train.sh', 'cfg.py', '2')
    assert out.startswith('PATH-PYTHON -m torch.distributed.run')
    assert 'tools/train.py cfg.py --launcher pytorch' in out
    _fake_python(repo / '.venv' / 'bin' / 'python', 'VENV-PYTHON')
    out = launch('dist_train.sh', 'cfg.py', '2')
    assert out.startswith('VENV-PYTHON -m torch.distributed.run')
    out = launch('dist_test.sh', 'cfg.py', 'ckpt.pth', '2')
    assert out.startswith('VENV-PYTHON -m torch.distributed.run')
    assert 'tools/test.py cfg.py ckpt.pth --launcher pytorch' in out
    _fake_python(tmp_path / 'mine', 'MY-PYTHON')
    out = launch('dist_test.sh', 'c', 'k', '1', PYTHON=str(tmp_path / 'mine'))
    assert out.startswith('MY-PYTHON -m torch.distributed.run')
