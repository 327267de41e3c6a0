# Copyright (c) mmlt contributors. All rights reserved.
"""PaCo / GPaCo: the loss against hand-computed values (class centres with
the logit adjustment, queue, empty slots, the rebalancing weights alpha /
beta / gamma, the temperatures, label smoothing), the queue and the momentum
update, one SAM step (keys pushed and the key encoder moved once), errors
that name the culprit, training on the demo set and a 2-process CPU DDP run
whose queue holds the keys of both ranks."""
import copy
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.losses import PaCoLoss
from mmlt.registry import MODELS
from .._dist import dist_train

CIFAR = 'configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py'
GPACO_CIFAR = 'configs/paco/gpaco_r32_1xb128-400e_cifar100lt-if100.py'
pytestmark = pytest.mark.filterwarnings(
    'ignore:ShotAccuracy. no test class:UserWarning')


def l2(*v):
    v = torch.tensor(v, dtype=torch.float64)
    return v / v.norm()


# ------------------------------------------------------------------ loss
def test_loss_equals_hand_computed_values():
    """One anchor q (label 0) against its key k (label 0), a queue of e1
    (label 1), e2 (label 0) and an empty slot e3 (label -1), 3 classes with
    counts (4, 2, 2)."""
    q, k = l2(1, 0), l2(0.6, 0.8)
    e1, e2, e3 = l2(0, 1), l2(-1, 0), l2(0.8, 0.6)
    features = torch.stack([q, k, e1, e2, e3])
    labels = torch.tensor([0, 0, 1, 0, -1])
    z = [1.0, 2.0, 0.5]
    cls_score = torch.tensor([z], dtype=torch.float64)
    alpha, beta, gamma, t = 0.2, 1.5, 0.5, 0.5
    loss = PaCoLoss(
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        temperature=t,
        class_counts=[4, 2, 2])
    out = loss(cls_score, features, labels)
    assert set(out) == {'loss_cls', 'loss_contrast'}

    # class logits + log prior (0.5, 0.25, 0.25)
    s = [z[0] + math.log(0.5), z[1] + math.log(0.25), z[2] + math.log(0.25)]
    sim_k, sim_e1, sim_e2 = 0.6 / t, 0. / t, -1. / t  # self, e3 left out
    log_d = math.log(
        sum(math.exp(v) for v in s) + gamma *
        (math.exp(sim_k) + math.exp(sim_e1) + math.exp(sim_e2)))
    norm = beta + alpha * 2  # positives: k and e2
    want_cls = -beta * (s[0] - log_d) / norm
    want_contrast = -alpha * ((sim_k - log_d) + (sim_e2 - log_d)) / norm
    assert float(out['loss_cls']) == pytest.approx(want_cls, rel=1e-6)
    assert float(out['loss_contrast']) == pytest.approx(
        want_contrast, rel=1e-6)

    # the empty slot takes no part: dropping it changes nothing
    same = loss(cls_score, features[:4], labels[:4])
    for key in out:
        assert float(same[key]) == pytest.approx(float(out[key]), rel=1e-12)

    # base temperature scales both terms by T / T_base
    scaled = PaCoLoss(
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        temperature=t,
        base_temperature=0.25,
        class_counts=[4, 2, 2])(cls_score, features, labels)
    assert float(scaled['loss_cls']) == pytest.approx(2 * want_cls, rel=1e-6)

    # label smoothing: the centre term uses (0.9, 0.05, 0.05)
    smooth = PaCoLoss(
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        temperature=t,
        label_smooth=0.1,
        class_counts=[4, 2, 2])(cls_score, features, labels)
    want = -beta * (0.9 * s[0] + 0.05 * s[1] + 0.05 * s[2] - log_d) / norm
    assert float(smooth['loss_cls']) == pytest.approx(want, rel=1e-6)
    assert float(smooth['loss_contrast']) == pytest.approx(
        want_contrast, rel=1e-6)


def test_loss_two_view_anchors_and_no_adjustment():
    """GPaCo layout: both views are anchors, each the other's positive;
    without the logit adjustment no class counts are needed."""
    q, k, e = l2(1, 0), l2(0, 1), l2(1, 1)
    features = torch.stack([q, k, e])
    labels = torch.tensor([1, 1, 0])
    cls_score = torch.tensor([[0.3, 0.7], [-0.2, 0.1]], dtype=torch.float64)
    t, alpha = 0.1, 0.5
    out = PaCoLoss(
        alpha=alpha, temperature=t, logit_adjust=False)(cls_score, features,
                                                        labels)
    want_cls, want_contrast = 0., 0.
    for i, (anchor, other) in enumerate(((q, k), (k, q))):
        z = cls_score[i].tolist()
        sims = [float(anchor @ other) / t, float(anchor @ e) / t]
        log_d = math.log(sum(map(math.exp, z + sims)))
        want_cls += -(z[1] - log_d) / (1 + alpha) / 2
        want_contrast += -alpha * (sims[0] - log_d) / (1 + alpha) / 2
    assert float(out['loss_cls']) == pytest.approx(want_cls, rel=1e-9)
    assert float(out['loss_contrast']) == pytest.approx(
        want_contrast, rel=1e-9)


def test_loss_temperature_and_weights_change_it():
    torch.manual_seed(0)
    features = F.normalize(torch.randn(12, 8), dim=1)
    labels = torch.randint(0, 4, (12, ))
    logits = torch.randn(4, 4)
    base = PaCoLoss(alpha=0.1, temperature=0.2, class_counts=[5, 4, 3, 2])
    ref = base(logits, features, labels)
    for kwargs in (dict(temperature=0.1), dict(alpha=0.3), dict(beta=0.5),
                   dict(gamma=0.2), dict(cls_temperature=2.)):
        other = PaCoLoss(
            **{
                **dict(alpha=0.1, temperature=0.2),
                **kwargs
            },
            class_counts=[5, 4, 3, 2])(logits, features, labels)
        assert not torch.allclose(
            ref['loss_cls'] + ref['loss_contrast'],
            other['loss_cls'] + other['loss_contrast']), kwargs


@pytest.mark.parametrize('kwargs,match', [
    (dict(alpha=-1), 'alpha must be >= 0'),
    (dict(alpha=0, beta=0), 'no anchor has a positive'),
    (dict(temperature=0), 'temperature must be > 0'),
    (dict(label_smooth=1.), 'label_smooth'),
])
def test_loss_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PaCoLoss(**kwargs)


def test_loss_bad_inputs_name_the_culprit():
    features = F.normalize(torch.randn(6, 4), dim=1)
    labels = torch.tensor([0, 1, 0, 1, 2, -1])
    with pytest.raises(RuntimeError, match='PaCoLoss needs the per-class'):
        PaCoLoss()(torch.randn(2, 3), features, labels)
    loss = PaCoLoss(class_counts=[3, 2, 1])
    with pytest.raises(ValueError, match='4-class scores but the training'):
        loss(torch.randn(2, 4), features, labels)
    with pytest.raises(ValueError, match='6 features but 5 labels'):
        loss(torch.randn(2, 3), features, labels[:5])
    with pytest.raises(ValueError, match='7 anchors'):
        loss(torch.randn(7, 3), features, labels)
    with pytest.raises(ValueError, match=r'anchor labels \[-1\]'):
        loss(torch.randn(2, 3), features, labels.flip(0))
    with pytest.raises(ValueError, match=r'expects cls_score \(A, C\)'):
        loss(torch.randn(2, 3), features[None], labels)


# ----------------------------------------------------------- the model
def tiny(kind='PaCo', queue_len=8, feat_dim=4, **kwargs):
    """A ResNet-20 PaCo / GPaCo on 3 classes, 4-d embeddings."""
    return MODELS.build(
        dict(
            type=kind,
            backbone=dict(type='ResNet32Cifar', depth=20, channels_last=False),
            neck=dict(type='GlobalAveragePooling'),
            projector=dict(
                type='PaCoProjector',
                in_channels=64,
                out_channels=4,
                num_layers=2 if kind == 'PaCo' else 3,
                with_bn=kind == 'PaCo'),
            head=dict(
                type='PaCoHead',
                num_classes=3,
                in_channels=64,
                loss=dict(
                    type='PaCoLoss',
                    alpha=0.5,
                    temperature=0.5,
                    class_counts=[4, 2, 2])),
            queue_len=queue_len,
            feat_dim=feat_dim,
            **kwargs))


def two_views(b=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2 * b, 3, 16, 16, generator=gen)
    labels = [i % 3 for i in range(b)]
    return x, [DataSample().set_gt_label(y) for y in labels], labels


def test_queue_starts_empty_and_wraps_around():
    model = tiny(queue_len=8)
    assert model.queue_labels.tolist() == [-1] * 8
    assert not model.queue.any()
    batches = [(torch.full((3, 4), float(i)), torch.tensor([i] * 3))
               for i in range(3)]
    for keys, labels in batches:
        model.enqueue(keys, labels)
    # 9 keys in 8 slots: the third batch's last key went to slot 0
    assert model.queue_labels.tolist() == [2, 0, 0, 1, 1, 1, 2, 2]
    assert model.queue[:, 0].tolist() == [2, 0, 0, 1, 1, 1, 2, 2]
    assert int(model.queue_ptr) == 1
    with pytest.raises(ValueError, match='9 keys per step'):
        model.enqueue(torch.zeros(9, 4), torch.zeros(9, dtype=torch.long))


def test_official_queue_init():
    torch.manual_seed(0)
    model = tiny(queue_len=16, official_queue_init=True)
    labels = model.queue_labels
    assert labels.min() >= 0 and labels.max() < 3
    # normalised along the K entries (the official axis), not per entry
    assert torch.allclose(model.queue.norm(dim=0), torch.ones(4))
    assert not torch.allclose(model.queue.norm(dim=1), torch.ones(16))


def test_key_encoder_copy_and_momentum_update():
    model = tiny(momentum=0.25)
    model.init_weights()
    for q, k in zip(model._query_modules(), model._key_modules()):
        for (name, a), b in zip(q.state_dict().items(),
                                k.state_dict().values()):
            assert torch.equal(a, b), name
    assert not any(p.requires_grad for p in model.encoder_k.parameters())
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(1.)
        bn_k = model.encoder_k['backbone'].bn1.running_mean.clone()
        model.backbone.bn1.running_mean.add_(5.)
    before = copy.deepcopy(model.encoder_k.state_dict())
    model.momentum_update()
    after = model.encoder_k.state_dict()
    q_state = model.backbone.state_dict()
    for name, k_param in model.encoder_k['backbone'].named_parameters():
        want = 0.75 * before[f'backbone.{name}'] + 0.25 * q_state[name]
        assert torch.allclose(k_param, want), name
    # BN statistics are the key encoder's own
    assert torch.equal(after['backbone.bn1.running_mean'], bn_k)


@pytest.mark.parametrize('kind', ['PaCo', 'GPaCo'])
def test_training_step_pushes_this_steps_keys(kind):
    torch.manual_seed(0)
    model = tiny(kind)
    model.init_weights()
    model.train()
    x, samples, labels = two_views()
    ref = copy.deepcopy(model)
    with torch.no_grad():
        if kind == 'PaCo':
            ref.momentum_update()
            keys = ref.encode_keys(x[3:])
        else:
            keys = ref.embed(ref.extract_feat(x[3:]))
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_contrast'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert int(model.queue_ptr) == 3
    assert model.queue_labels[:3].tolist() == labels
    assert model.queue_labels[3:].tolist() == [-1] * 5
    assert torch.allclose(model.queue[:3], keys, atol=1e-6)
    assert torch.allclose(model.queue[:3].norm(dim=1), torch.ones(3))
    sum(losses.values()).backward()
    assert model.head.fc.weight.grad is not None
    assert model.projector.mlp[0].weight.grad is not None
    if kind == 'PaCo':
        assert all(p.grad is None for p in model.encoder_k.parameters())


def test_prediction_is_the_linear_classifier():
    model = tiny()
    model.eval()
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        preds = model.predict(x)
        logits = model.head.fc(model.extract_feat(x)[-1])
    want = logits.softmax(dim=1)
    got = torch.stack([p.pred_score for p in preds])
    assert torch.allclose(got, want, atol=1e-6)


@pytest.mark.parametrize('kind', ['PaCo', 'GPaCo'])
def test_sam_step_pushes_and_moves_the_key_encoder_once(kind):
    from mmlt.engine.optimizers import SAMOptimWrapper
    torch.manual_seed(0)
    model = tiny(kind, momentum=0.25) if kind == 'PaCo' else tiny(kind)
    model.init_weights()
    model.train()
    rng = np.random.RandomState(0)
    data = dict(
        inputs=[[
            torch.from_numpy(rng.randint(0, 255, (3, 16, 16), np.uint8))
            for _ in range(2)
        ] for _ in range(3)],
        data_samples=[DataSample().set_gt_label(i) for i in range(3)])
    seen = []
    loss_fn = model.head.loss

    def recording(feats, samples, contrast, labels):
        seen.append((contrast.detach().clone(), labels.clone()))
        return loss_fn(feats, samples, contrast, labels)

    model.head.loss = recording
    q_before = [p.detach().clone() for p in model.backbone.parameters()]
    k_before = [p.detach().clone() for p in model.encoder_k.parameters()
                ] if kind == 'PaCo' else []
    wrapper = SAMOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), rho=0.05)
    model.train_step(data, wrapper)
    assert len(seen) == 2  # the first and the perturbed forward
    (first, labels1), (second, labels2) = seen
    anchors = 3 if kind == 'PaCo' else 6
    # the same keys and queue (pre-push) in both passes, new queries
    assert torch.equal(first[anchors:], second[anchors:])
    assert torch.equal(labels1, labels2)
    assert not torch.equal(first[:anchors], second[:anchors])
    assert (labels1[-8:] == -1).all()  # the queue before this step's push
    assert int(model.queue_ptr) == 3  # one push
    assert model.queue_labels[:3].tolist() == [0, 1, 2]
    if kind == 'PaCo':
        keys = first[3:6]
        assert torch.allclose(model.queue[:3], keys)
        backbone_k = list(model.encoder_k['backbone'].parameters())
        for q, k, new in zip(q_before, k_before, backbone_k):
            assert torch.allclose(new, 0.75 * k + 0.25 * q)  # one update


# ------------------------------------------------------------- errors
def test_single_view_batch_is_a_clear_error():
    model = tiny()
    x, samples, _ = two_views()
    with pytest.raises(ValueError, match='needs two views of every image'):
        model.loss(x[:3], samples)


@pytest.mark.parametrize('kind,kwargs,match', [
    ('GPaCo', dict(momentum=0.01), 'GPaCo has no momentum encoder'),
    ('PaCo', dict(momentum=0.999), 'official --moco-m 0.999 is 0.001'),
    ('PaCo', dict(queue_len=0), 'queue_len must be > 0'),
    ('PaCo', dict(feat_dim=8), 'embeds to 4 dimensions but feat_dim is 8'),
])
def test_bad_model_arguments(kind, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny(kind, **kwargs)


def test_missing_neck_is_a_clear_error():
    with pytest.raises(ValueError, match='needs a neck'):
        MODELS.build(
            dict(
                type='PaCo',
                backbone=dict(type='ResNet32Cifar', depth=20),
                neck=None,
                projector=dict(
                    type='PaCoProjector', in_channels=64, out_channels=4),
                head=dict(type='PaCoHead', num_classes=3, in_channels=64),
                feat_dim=4))


# ------------------------------------------------ training on real data
def _last_train_line(work_dir):
    from pathlib import Path
    text = sorted(Path(work_dir).rglob('*.log'))[-1].read_text()
    found = re.findall(r'Epoch\(train\).*', text)
    assert found, text[-2000:]
    return found[-1]


@pytest.mark.parametrize('config', [CIFAR, GPACO_CIFAR])
def test_two_view_training_on_real_images(tiny_cfg, tmp_path, config):
    cfg = tiny_cfg(config, tmp_path, epochs=2, save_checkpoints=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    model = runner.model
    assert model.head.loss_module.class_counts.tolist() == [2] * 10
    # 20 images per epoch, 2 epochs: 40 keys in the queue of 1024
    assert int(model.queue_ptr) == 40
    assert int((model.queue_labels >= 0).sum()) == 40
    line = _last_train_line(tmp_path)
    for key in ('loss_cls', 'loss_contrast'):
        assert f'{key}: ' in line, line
    assert 0 <= metrics['lt/top1'] <= 100


def test_dist_train_gathers_the_queue(tiny_cfg, tmp_path):
    # 40 train images, batch 10 per rank: 2 iterations per rank and epoch
    cfg = tiny_cfg(CIFAR, tmp_path / 'work', per_class=4, epochs=1)
    cfg.train_dataloader.batch_size = 10
    config = str(tmp_path / 'paco.py')
    cfg.dump(config)
    out = dist_train(config)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\].*loss_cls.*loss_contrast',
                     out), out[-3000:]
    state = torch.load(
        tmp_path / 'work' / 'epoch_1.pth', map_location='cpu')['state_dict']
    # the keys of both ranks: 2 ranks x 10 x 2 iterations
    assert int(state['queue_ptr']) == 40
    assert int((state['queue_labels'] >= 0).sum()) == 40
    assert torch.allclose(state['queue'][:40].norm(dim=1), torch.ones(40))
