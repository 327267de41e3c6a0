# Copyright (c) mmlt contributors. All rights reserved.
"""MetaFG backbone, bias table, head and classifier."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.backbones import MetaFG
from mmlt.models.classifiers import mask_meta
from mmlt.models.heads import MetaFGHead
from mmlt.models.layers import (MetaFGAttention,
                                metafg_relative_position_index,
                                resize_metafg_bias_table)
from mmlt.registry import METRICS, MODELS

TINY = dict(conv_dims=(8, 8, 16), attn_dims=(16, 32), depths=(1, 2, 2, 1))


def tiny(img_size=64, meta_dims=(), **kwargs):
    torch.manual_seed(0)
    model = MetaFG(
        arch=TINY,
        img_size=img_size,
        meta_dims=meta_dims,
        num_heads=2,
        **kwargs)
    model.init_weights()
    model.eval()
    return model


# ---------------------------------------------------------------- bias table
def test_relative_position_index_by_hand():
    # 2x2 grid: offsets (dh, dw) in {-1, 0, 1}^2 -> (dh + 1) * 3 + (dw + 1);
    # tokens (0,0), (0,1), (1,0), (1,1); extra tokens -> row 9.
    expected = torch.tensor([
        [4, 3, 1, 0],
        [5, 4, 2, 1],
        [7, 6, 4, 3],
        [8, 7, 5, 4],
    ])
    assert torch.equal(metafg_relative_position_index(2), expected)
    index = metafg_relative_position_index((2, 2), num_extra=2)
    assert index.shape == (6, 6)
    assert (index[:2] == 9).all() and (index[:, :2] == 9).all()
    assert torch.equal(index[2:, 2:], expected)
    # A non-square grid: 1x3 -> offsets dw in -2..2, rows dw + 2.
    assert torch.equal(
        metafg_relative_position_index((1, 3)),
        torch.tensor([[2, 1, 0], [3, 2, 1], [4, 3, 2]]))


def test_bias_table_resize():
    # Grid entries antisymmetric in the offset, extra-token row 7.
    src = 3
    d = torch.arange(-(src - 1), src).float()
    grid = (d[:, None] * 2 + d[None, :]).reshape(-1, 1)
    table = torch.cat([grid, torch.tensor([[7.]])]).repeat(1, 2)
    assert resize_metafg_bias_table(table, src, src) is table
    out = resize_metafg_bias_table(table, src, 5)
    assert out.shape == (9 * 9 + 1, 2)
    assert torch.equal(out[-1], torch.tensor([7., 7.]))  # extra row kept
    g = out[:-1, 0].reshape(9, 9)
    # The zero offset stays at the centre and the antisymmetry is kept
    # (the official loader, one row off, breaks both).
    assert g[4, 4].abs() < 1e-5
    assert torch.allclose(g, -g.flip(0).flip(1), atol=1e-5)
    assert g[4, 8] > 0 and g[8, 4] > g[4, 8]  # +dw, larger +dh slope
    with pytest.raises(
            ValueError, match=r'3x3 grid has 26 rows, got \(10, 2\)'):
        resize_metafg_bias_table(table[:10], src, 5)


def test_attention_bias_matches_table_and_extra_entry():
    attn = MetaFGAttention(8, 2, grid_size=2)
    with torch.no_grad():
        attn.relative_position_bias_table.copy_(
            torch.arange(20.).reshape(10, 2))
    bias = attn.relative_position_bias((2, 2), num_extra=1)
    assert bias.shape == (2, 5, 5)
    assert (bias[0, 0] == 18).all() and (bias[1, :, 0] == 19).all()
    # token (1,1) -> token (0,0): offset (1,1) -> row 8
    assert bias[0, 4, 1] == 16 and bias[1, 4, 1] == 17
    # token (0,0) -> token (1,1): offset (-1,-1) -> row 0 (not shared)
    assert bias[0, 1, 4] == 0


def test_attention_against_explicit_softmax():
    torch.manual_seed(0)
    attn = MetaFGAttention(8, 2, grid_size=2).eval()
    attn.init_weights()
    x = torch.randn(3, 6, 8)
    out = attn(x, (2, 2))
    qkv = attn.qkv(x).reshape(3, 6, 3, 2, 4).permute(2, 0, 3, 1, 4)
    logits = qkv[0] @ qkv[1].transpose(-2, -1) / 2.0  # sqrt(4)
    logits = logits + attn.relative_position_bias((2, 2), 2)
    ref = (logits.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(3, 6, 8)
    assert torch.allclose(out, attn.proj(ref), atol=1e-5)
    with pytest.raises(ValueError, match='3x3 patch grid'):
        attn(x, (3, 3))


def test_checkpoint_table_resized_on_load():
    small, large = tiny(64), tiny(128)
    state = small.state_dict()
    assert state['stage3.blocks.0.attn.relative_position_bias_table'].shape \
        == (7 * 7 + 1, 2)
    large.load_state_dict(state)
    assert large.stage3.blocks[0].attn.relative_position_bias_table.shape \
        == (15 * 15 + 1, 2)
    # At its own grid the loaded model equals the small model fed a 128
    # image (whose tables are resized on the fly).
    x = torch.randn(1, 3, 128, 128)
    with torch.no_grad():
        a, b = small(x), large(x)
    assert all(torch.allclose(u, v, atol=1e-5) for u, v in zip(a, b))
    assert 'relative_position_index' not in ''.join(state)


# ---------------------------------------------------------------- backbone
@pytest.mark.parametrize('arch', ['0', '1', '2'])
@pytest.mark.parametrize('img_size', [224, 384])
def test_variant_shapes_on_meta_device(arch, img_size):
    """Every published variant at both sizes, shapes only (meta device)."""
    with torch.device('meta'):
        model = MetaFG(arch=arch, img_size=img_size, meta_dims=(4, 3))
        x = torch.empty(2, 3, img_size, img_size)
        meta = torch.empty(2, 7)
        cls_1, cls_2 = model(x, meta)
    c3, c4 = MetaFG.arch_zoo[arch]['attn_dims']
    assert cls_1.shape == (2, c3) and cls_2.shape == (2, c4)
    h = img_size // 16
    table = model.stage3.blocks[0].attn.relative_position_bias_table
    assert table.shape == ((2 * h - 1)**2 + 1, 8)
    assert len(model.stage1) + len(model.stage2) + len(
        model.stage3.blocks) + len(model.stage4.blocks) == sum(
            MetaFG.arch_zoo[arch]['depths'])


def test_params_match_published():
    with torch.device('meta'):
        counts = {
            a: sum(p.numel() for p in MetaFG(arch=a).parameters())
            for a in '012'
        }
    # Published (with the 1000-class head): 28M / 45M / 81M.
    head = {a: MetaFG.arch_zoo[a]['attn_dims'] for a in '012'}
    for arch, total in (('0', 28e6), ('1', 45e6), ('2', 81e6)):
        c3, c4 = head[arch]
        head_params = (
            c3 * c3 + c3 + c3 * c4 + c4 + 2 * c4 + 3 + 2 * c3 + 4 * c4 +
            c4 * 1000 + 1000)
        assert abs(counts[arch] + head_params - total) / total < 0.03, arch


def test_forward_real_metafg0_and_meta_errors():
    torch.manual_seed(0)
    model = MetaFG(arch='0', img_size=224, meta_dims=(4, 3))
    model.init_weights()
    model.eval()
    x = torch.randn(1, 3, 64, 64)  # another size: tables resized
    with torch.no_grad():
        cls_1, cls_2 = model(x, torch.randn(1, 7))
    assert cls_1.shape == (1, 384) and cls_2.shape == (1, 768)
    assert torch.isfinite(cls_2).all()
    with pytest.raises(ValueError, match=r'needs `meta`'):
        model(x)
    with pytest.raises(ValueError, match=r'shape \(1, 5\)'):
        model(x, torch.randn(1, 5))
    with pytest.raises(ValueError, match='vision only'):
        tiny()(x, torch.randn(1, 7))
    with pytest.raises(KeyError, match="'3'"):
        MetaFG(arch='3')
    with pytest.raises(ValueError, match='multiple of 32'):
        MetaFG(img_size=200)


def test_meta_tokens_and_text_tokens():
    model = tiny(meta_dims=(4, 3))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        a = model(x, torch.randn(2, 7))
        b = model(x, torch.zeros(2, 7))
    assert not torch.allclose(a[1], b[1])  # meta matters
    text = tiny(meta_dims=(6, ))
    with torch.no_grad():
        out = text(x, torch.randn(2, 5, 6))  # 5 word tokens
    assert out[1].shape == (2, 32)


def test_stage_structure():
    model = tiny(meta_dims=(4, 3))
    # drop-connect only where stride 1 and equal channels
    assert model.stage1[0].with_res_shortcut  # 8 -> 8, stride 1
    assert not model.stage2[0].with_res_shortcut  # stride 2
    assert model.stage1[0].se.conv1.conv.out_channels == 2  # 0.25 * 8
    assert model.stage1[0].expand_conv.bn.eps == 0.01
    assert len(model.stage3.meta_proj) == 2
    assert isinstance(model.stage4.meta_proj[1][3].norm2, torch.nn.LayerNorm)
    # drop path 0.1 (default) linear over the 6 blocks: 0.06, 0.08 here
    drop = [b.attn.out_drop.drop_prob for b in model.stage3.blocks]
    assert drop == pytest.approx([0.06, 0.08])


def test_drop_path_linear_over_all_blocks():
    model = MetaFG(arch=TINY, img_size=64, drop_path_rate=0.5, num_heads=2)
    rates = [getattr(model.stage1[0].drop_path, 'drop_prob', 0.)]
    rates += [b.drop_path.drop_prob for b in model.stage2]
    rates += [b.attn.out_drop.drop_prob for b in model.stage3.blocks]
    rates += [b.attn.out_drop.drop_prob for b in model.stage4.blocks]
    assert rates == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])


# ---------------------------------------------------------------- head
def test_head_fusion_by_hand():
    torch.manual_seed(0)
    head = MetaFGHead(num_classes=3, in_channels=4, cls1_channels=2)
    head.init_weights()
    with torch.no_grad():
        head.aggregate.weight.copy_(torch.tensor([[[0.25], [2.0]]]))
        head.aggregate.bias.fill_(0.5)
    c1, c2 = torch.randn(5, 2), torch.randn(5, 4)

    def ln(v):
        return (v - v.mean(-1, keepdim=True)
                ) / torch.sqrt(v.var(-1, unbiased=False, keepdim=True) + 1e-5)

    fc1, fc2 = head.cls1_fc[0], head.cls1_fc[2]
    hidden = F.gelu(ln(c1) @ fc1.weight.T + fc1.bias)
    a = ln(hidden @ fc2.weight.T + fc2.bias)
    fused = ln(0.25 * a + 2.0 * ln(c2) + 0.5)
    expected = fused @ head.fc.weight.T + head.fc.bias
    assert torch.allclose(head((c1, c2)), expected, atol=1e-5)

    last = MetaFGHead(num_classes=3, in_channels=4, only_last_cls=True)
    assert not hasattr(last, 'aggregate')
    assert torch.allclose(
        last((c1, c2)), ln(c2) @ last.fc.weight.T + last.fc.bias, atol=1e-5)
    with pytest.raises(ValueError, match='cls1_channels'):
        MetaFGHead(num_classes=3, in_channels=4)


# ---------------------------------------------------------------- classifier
def build_classifier(meta=True, **kwargs):
    cfg = dict(
        type='MetaFGClassifier' if meta else 'ImageClassifier',
        backbone=dict(
            type='MetaFG',
            arch=TINY,
            img_size=64,
            num_heads=2,
            meta_dims=(4, 3) if meta else ()),
        head=dict(
            type='MetaFGHead', num_classes=5, in_channels=32,
            cls1_channels=16),
        **kwargs)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


def samples(n, with_meta=True):
    out = []
    for i in range(n):
        s = DataSample().set_gt_label(i % 5)
        if with_meta:
            s.set_field(torch.full((7, ), float(i + 1)), 'meta')
        out.append(s)
    return out


def test_mask_meta_fraction():
    meta = torch.arange(1., 11.)[:, None].repeat(1, 7)
    for prob, zeroed in ((1.0, 10), (0.5, 5), (0.1, 1), (0.7, 7), (0., 0)):
        out = mask_meta(meta, prob)
        rows = (out == 0).all(1)
        assert int(rows.sum()) == zeroed
        assert torch.equal(out[~rows], meta[~rows])  # others untouched
    assert int((mask_meta(meta, 0.99) == 0).all(1).sum()) == 9  # floor
    with pytest.raises(ValueError):
        mask_meta(meta, 1.5)


def test_classifier_loss_uses_curriculum_and_predict_masked():
    model = build_classifier()
    x = torch.randn(4, 3, 64, 64)
    seen = []
    orig = model.backbone.forward
    model.backbone.forward = lambda x, meta=None: seen.append(meta.clone(
    )) or orig(x, meta)
    model.train()
    model.meta_mask_prob = 0.5
    losses = model.loss(x, samples(4))
    assert torch.isfinite(losses['loss'])
    assert int((seen[-1] == 0).all(1).sum()) == 2
    model.meta_mask_prob = 0.
    model.loss(x, samples(4))
    assert not (seen[-1] == 0).all(1).any()

    model.eval()
    seen.clear()
    with torch.no_grad():
        preds = model.predict(x, samples(4))
    assert len(seen) == 2 and (seen[1] == 0).all()
    assert (seen[0] != 0).all()
    with torch.no_grad():
        zero = model.head(orig(x, torch.zeros(4, 7))).softmax(1)
    for i, p in enumerate(preds):
        assert torch.allclose(p.pred_score_meta_masked, zero[i], atol=1e-6)
        assert not torch.allclose(p.pred_score, p.pred_score_meta_masked)


def test_classifier_missing_meta_error():
    model = build_classifier()
    with pytest.raises(
            ValueError,
            match=r"data sample 0 has no `meta`.*"
            r"PackInputs\(algorithm_keys=\['meta'\]\)"):
        model.loss(torch.randn(2, 3, 64, 64), samples(2, with_meta=False))
    vision = build_classifier(meta=False)
    out = vision(torch.randn(2, 3, 64, 64), samples(2, False), mode='loss')
    assert torch.isfinite(out['loss'])


def test_meta_masked_shot_accuracy():
    metric = METRICS.build(dict(type='MetaMaskedShotAccuracy', topk=(1, )))
    metric.set_class_counts([150, 50, 10])
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    preds = []
    for gt, masked in ((0, 0), (1, 2), (2, 2), (2, 0)):
        preds.append(
            dict(
                gt_label=torch.tensor([gt]),
                pred_score=torch.tensor([0., 1., 0.]),
                pred_score_meta_masked=F.one_hot(torch.tensor(masked),
                                                 3).float()))
    metric.process(None, preds)
    res = metric.evaluate(4)
    assert res['lt_meta_masked/top1'] == pytest.approx(50.)
    assert res['lt_meta_masked/many'] == pytest.approx(100.)
    assert res['lt_meta_masked/medium'] == pytest.approx(0.)
    assert res['lt_meta_masked/few'] == pytest.approx(50.)
    with pytest.raises(KeyError, match='pred_score_meta_masked'):
        metric.process(
            None,
            [dict(gt_label=torch.tensor([0]), pred_score=torch.zeros(3))])


def test_no_weight_decay_keys_in_recipe():
    # The recipe's paramwise_cfg exempts '.cls_token'; make sure it exists.
    names = [n for n, _ in build_classifier().named_parameters()]
    assert 'backbone.stage3.cls_token' in names
    assert math.isclose(len([n for n in names if '.cls_token' in n]), 2)


def test_channels_last_same_outputs():
    a = tiny(meta_dims=(4, 3))
    b = MetaFG(
        arch=TINY,
        img_size=64,
        meta_dims=(4, 3),
        num_heads=2,
        channels_last=False)
    b.load_state_dict(a.state_dict())
    b.eval()
    assert a.stem[0].conv.weight.is_contiguous(
        memory_format=torch.channels_last)
    x, meta = torch.randn(2, 3, 64, 64), torch.randn(2, 7)
    with torch.no_grad():
        for u, v in zip(a(x, meta), b(x, meta)):
            assert torch.allclose(u, v, atol=1e-5)
