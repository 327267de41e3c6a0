# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as CLS_MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from mmlt.det.models.backbones import SEResNetAGLUDet
from mmlt.models.backbones import SEResNetAGLU


def _build_classifier():
    return CLS_MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='SEResNetAGLU', depth=50),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=2048)))


@pytest.fixture(scope='module')
def cls_checkpoint(tmp_path_factory):
    """A classification model (SE-R50 AGLU + APA-SE, linear head) saved as
    mmengine saves checkpoints ({'meta', 'state_dict'})."""
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = _build_classifier()
    # non-default BN statistics (parameters, lambda and kappa included, are
    # random draws that a freshly built backbone does not share)
    for name, buf in model.named_buffers():
        if buf.is_floating_point():
            buf.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp('cls') / 'se-r50-aglu-apa_cls.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path, model.state_dict()


def test_registered_in_mmdet_only_under_its_own_name():
    assert DET_MODELS.get('SEResNetAGLUDet') is SEResNetAGLUDet
    assert issubclass(SEResNetAGLUDet, SEResNetAGLU)
    assert 'SEResNetAGLUDet' not in CLS_MODELS.module_dict


def test_loads_classification_checkpoint(cls_checkpoint):
    path, cls_state = cls_checkpoint
    backbone = DET_MODELS.build(
        dict(
            type='SEResNetAGLUDet',
            depth=50,
            init_cfg=dict(
                type='Pretrained', checkpoint=str(path), prefix='backbone.')))
    expected = {
        k[len('backbone.'):]: v
        for k, v in cls_state.items() if k.startswith('backbone.')
    }
    # same module names: strict loading has no missing/unexpected keys
    result = backbone.load_state_dict(expected, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert set(backbone.state_dict()) == set(expected)
    assert any(k.endswith('lambda_param') for k in expected)
    # and the Pretrained init_cfg of the detector configs loads the values
    fresh = DET_MODELS.build(
        dict(
            type='SEResNetAGLUDet',
            depth=50,
            init_cfg=dict(
                type='Pretrained', checkpoint=str(path), prefix='backbone.')))
    fresh.init_weights()
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_detector_defaults_outputs_and_freezing():
    backbone = SEResNetAGLUDet(depth=50)
    backbone.train()
    outs = backbone(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 16, 24),
                                              (1, 512, 8, 12), (1, 1024, 4, 6),
                                              (1, 2048, 2, 3)]
    params = dict(backbone.named_parameters())
    # frozen_stages=1: stem (with its AGLU) and layer1 frozen, layer2 not
    for name in ('conv1.weight', 'relu.lambda_param', 'relu.kappa_param',
                 'layer1.0.act1.kappa_param', 'layer1.2.conv3.weight'):
        assert not params[name].requires_grad, name
    for name in ('layer2.0.act1.lambda_param', 'layer2.0.conv1.weight',
                 'layer4.2.act3.kappa_param'):
        assert params[name].requires_grad, name
    # norm_eval=True: every BatchNorm stays in eval mode while training
    bns = [m for m in backbone.modules() if isinstance(m, _BatchNorm)]
    assert bns and not any(m.training for m in bns)
    # the detector's AGLU init kappa ~ U(1.0, 1.3)
    kappas = [
        p.item() for n, p in params.items() if n.endswith('act1.kappa_param')
    ]
    assert all(1.0 <= k <= 1.3 for k in kappas)
