# Copyright (c) mmlt contributors. All rights reserved.
"""``import mmlt`` stays free of mmdet; ``mmlt.det`` plugs into stock mmdet
configs through ``custom_imports``."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, cwd: Path = REPO) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS='ignore')
    proc = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_import_mmlt_does_not_need_mmdet():
    # mmpretrain itself imports mmdet when it is installed (an optional
    # `try: from mmdet...` in mmpretrain/models/utils/res_layer_extra_norm.py)
    # so we block mmdet, as on a classification-only install: mmlt must
    # import and register its classification components without it.
    out = _run("""
        import sys
        sys.modules['mmdet'] = None  # `import mmdet` now raises ImportError
        import mmlt
        from mmpretrain.registry import MODELS
        assert MODELS.get('CosineClsHead') is not None
        print(sorted(m for m in sys.modules
                     if m.startswith(('mmdet.', 'mmlt.det'))))
        """)
    assert out.strip() == '[]'
    # and importing mmlt.det then fails loudly, naming mmdet
    err = subprocess.run([
        sys.executable, '-c',
        "import sys; sys.modules['mmdet'] = None; import mmlt.det"
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=300,
                         env=dict(
                             os.environ,
                             PYTHONPATH=str(REPO),
                             PYTHONWARNINGS='ignore'))
    assert err.returncode != 0 and 'mmdet' in err.stderr.splitlines()[-1]


def test_custom_imports_in_a_stock_mmdet_config(tmp_path):
    cfg = tmp_path / 'stock_mask_rcnn_gumbel.py'
    cfg.write_text(
        textwrap.dedent("""
        _base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
        custom_imports = dict(imports=['mmlt.det'],
                              allow_failed_imports=False)
        model = dict(
            backbone=dict(depth=18, init_cfg=None),
            neck=dict(in_channels=[64, 128, 256, 512]),
            roi_head=dict(
                bbox_head=dict(
                    num_classes=3,
                    loss_cls=dict(_delete_=True, type='GumbelDropLoss',
                                  image_counts=[1, 50, 100],
                                  num_images=1000)),
                mask_head=dict(
                    num_classes=3,
                    predictor_cfg=dict(type='LearnableTempNormedConv2d'))))
        """))
    out = _run(
        f"""
        import sys
        from mmengine.config import Config
        assert 'mmlt' not in sys.modules
        cfg = Config.fromfile({str(cfg)!r})   # runs custom_imports
        assert 'mmlt.det' in sys.modules
        from mmdet.utils import register_all_modules
        register_all_modules()
        from mmdet.registry import MODELS
        model = MODELS.build(cfg.model)
        print(type(model.roi_head.bbox_head.loss_cls).__name__,
              type(model.roi_head.mask_head.conv_logits).__name__,
              model.roi_head.bbox_head.fc_cls.out_features)
        """,
        cwd=tmp_path)
    assert out.split() == ['GumbelDropLoss', 'LearnableTempNormedConv2d', '3']
