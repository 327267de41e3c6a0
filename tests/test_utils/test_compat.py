"""mmengine checkpoints load on torch >= 2.6 with weights_only kept on."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.runner import load_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint

import mmlt  # noqa: F401
from mmlt.utils.compat import MMENGINE_CHECKPOINT_GLOBALS


class Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned', ))


def _mmengine_like_checkpoint(path):
    import numpy as np
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', 1.5)
    buf = HistoryBuffer()
    buf.update(2.0)
    torch.save(
        dict(
            meta=dict(
                epoch=3,
                seed=np.int64(0),
                arr=np.arange(3.),
                dtype=np.dtype('float32')),
            state_dict=dict(w=torch.ones(2)),
            message_hub=hub.state_dict(),
            buffer=buf), path)


def test_mmengine_checkpoint_loads_with_safe_loading(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    _mmengine_like_checkpoint(path)
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert ckpt['meta']['epoch'] == 3
    assert ckpt['buffer'].current() == 2.0
    model = torch.nn.Linear(2, 1)
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'm.pth')
    load_checkpoint(model, str(tmp_path / 'm.pth'))
    assert MMENGINE_CHECKPOINT_GLOBALS  # the allow-list is explicit


def test_foreign_pickled_object_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': Evil()}, path)
    with pytest.raises(
            RuntimeError,
            match=r'Refusing to load checkpoint .*'
            r'evil\.pth.*posix\.system'):
        _load_checkpoint(path, map_location='cpu')


def test_getattr_is_limited_to_history_buffer(tmp_path):
    from mmengine.logging import HistoryBuffer

    class Sneaky:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(RuntimeError, match='only HistoryBuffer statistics'):
        _load_checkpoint(path, map_location='cpu')


def test_import_mmlt_does_not_need_mmdet():
    """With mmdet unimportable, mmlt (classification) still imports and
    builds. (mmpretrain itself imports mmdet opportunistically when it is
    installed, so we block it rather than check ``sys.modules``.)"""
    code = ('import sys; sys.modules["mmdet"] = None; import mmlt; '
            'from mmlt.registry import MODELS; '
            'MODELS.build(dict(type="ResNet32Cifar")); print("ok")')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True)
    assert out.stdout.strip() == 'ok', out.stderr[-2000:]
    code = 'import sys; sys.modules["mmdet"] = None; import mmlt.det'
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True)
    assert out.returncode != 0 and 'mmdet' in out.stderr


def test_no_host_name_is_re_registered():
    """mmlt never registers a name the host libraries already have."""
    import mmdet.registry as mmdet_reg  # noqa: F401
    import mmengine.registry as root
    import mmpretrain.registry as pre
    import mmpretrain.utils
    mmpretrain.utils.register_all_modules(init_default_scope=False)
    import mmdet.utils
    mmdet.utils.register_all_modules(init_default_scope=False)
    import mmlt.det  # noqa: F401  (detection side too)
    checked = 0
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'DATA_SAMPLERS', 'HOOKS',
                 'METRICS'):
        registries = [
            getattr(root, name),
            getattr(pre, name),
            getattr(mmdet_reg, name)
        ]
        for reg in registries:
            for key, obj in reg.module_dict.items():
                if not getattr(obj, '__module__', '').startswith('mmlt'):
                    continue
                checked += 1
                for other in registries:
                    host = other.module_dict.get(key)
                    assert host is None or \
                        host.__module__.startswith('mmlt'), \
                        f'{key} shadows {host.__module__}.{key}'
    assert checked > 10
