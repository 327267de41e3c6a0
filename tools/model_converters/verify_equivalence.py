# Copyright (c) mmlt contributors. All rights reserved.
"""Show that mmlt's multi-expert models equal the official code.

For each check, the official model is built from a checkout given by path
(nothing of it is copied into mmlt), its randomly initialised weights (with
randomised BatchNorm statistics) are converted with the same key mapping as
``tools/model_converters/*_to_mmlt.py`` and loaded strictly into the mmlt
model of the matching config. Both run in float64 on the same input;
reported are the max |difference| of the per-expert logits in eval and
train mode, of every loss term, and of all parameters after a few SGD steps
(same optimiser settings on both sides).

Checks (``--checks``):

- ``ride_r32``: RIDE ResNet-32, 3 experts (``ride_resnet_cifar.ResNet_s``)
  and ``RIDELoss`` before and after DRW, 3 SGD steps; the router
  (``ea_resnet_cifar``) on the same weights;
- ``ride_r50``: RIDE ResNet-50, 3 experts (``RIDEResNet``), forward at 224;
- ``mdcs_r32``: MDCS ResNet-32 (``expert_resnet_cifar.ResNet_s``) on a
  two-view batch and ``MDCSLoss`` at epochs 1, 10 and 30 (the consistency
  weight ramp), 3 SGD steps;
- ``mdcs_r50``: MDCS ResNet-50 (``Expert_ResNet``), forward at 224;
- ``shike_r32``: SHIKE's ResNet-32 with depth-wise fusion (``networks.py``),
  both classifier sets, the DKT loss and the stage-2 Balanced Softmax of
  ``cifarTrain.mix_outputs``, 3 SGD steps of each stage;
- ``apa_r32``: AGLU's (APA) CIFAR SE-ResNet-32 with AGLU + APA-SE and the
  cosine classifier, built by ``initialise_model.get_model`` from the
  official CIFAR-100-LT command line (parsed by ``train.py``), against
  ``configs/apa/aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py`` with
  ``legacy_lambda_grad=True`` (the official AGLU lambda-gradient): logits
  with and without IIF, the ``IIFLoss`` on hard and Mixup targets, the
  optimiser settings of every parameter (``train.py`` vs the config) and
  3 SGD steps;
- ``deit_lt``: DeiT-LT's distilled ViT (``deit_models``, imported with
  plain-torch attention in place of the CUDA-only xformers kernel) against
  ``configs/deit_lt/_base_/deit-lt_deit-b16_adamw-coslr.py`` (100 classes,
  a ResNet-32 teacher at 32 px): CLS, DIST and mean logits of
  ``deit_base_distilled_patch16_224``; on a 2-block DeiT-B (drop path 0):
  the teacher's input (bicubic resize of the mixed batch), the official
  ``DistillationLoss`` (hard, hard weighted, soft) on timm Mixup/CutMix
  targets and after DRW (plain CE), the AdamW settings of every parameter
  (timm's ``create_optimizer`` vs the config) and 3 AdamW steps. Runs with
  float64 as the default dtype;
- ``paco_r32`` / ``gpaco_r32``: PaCo's (GPaCo's) ``moco.builder.MoCo`` with
  the CIFAR ResNet-32 (``--mlp``, moco-dim 32, queue 1024, T 0.05, alpha
  0.01) and its ``PaCoLoss`` against
  ``configs/paco/{paco,gpaco}_r32_1xb128-400e_cifar100lt-if100.py``: logits
  in eval mode, the loss on random tensors for several alpha / beta / gamma
  / temperature settings (and GPaCo's label smoothing), 3 training steps
  (momentum update, key encoder, queue push, loss, SGD), then every
  parameter and BatchNorm statistic (the key encoder's too) and the queue,
  its labels and pointer. The official code runs in a one-process gloo group
  with its CUDA moves as no-ops and its loss's float32 masks in float64
  (``mmlt.testing.official_paco``).

Example::

    python tools/model_converters/verify_equivalence.py \\
        --ride-repo /path/to/RIDE-LongTailRecognition \\
        --mdcs-repo /path/to/MDCS --shike-repo /path/to/SHIKE \\
        --aglu-repo /path/to/AGLU --deit-lt-repo /path/to/DeiT-LT \\
        --paco-repo /path/to/Parametric-Contrastive-Learning
"""
import argparse
import contextlib
import logging
import os.path as osp
import sys
import types
import warnings

import numpy as np
import torch
import torch.nn as nn

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
import mmlt.testing as ocode  # noqa: E402

CIFAR100_LT = [int(500 * 0.01**(c / 99)) for c in range(100)]


def build_mmlt(config: str, options: dict = None) -> nn.Module:
    """The model of an mmlt config (with ``options`` merged, as
    ``--cfg-options``), NCHW, without pretrained weights."""
    from mmengine.config import Config

    from mmlt.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.merge_from_dict(options or {})
    model_cfg = cfg.model
    model_cfg.backbone.pop('init_cfg', None)
    model_cfg.backbone.channels_last = False
    return MODELS.build(model_cfg)


def load_converted(official: nn.Module, ours: nn.Module, mapping) -> None:
    converted, dropped = mapping(official.state_dict())
    ours.load_state_dict(converted, strict=True)
    if dropped:
        print(f'  official keys without a counterpart: {dropped}')


def maxdiff(a, b) -> float:
    return float((a.detach().double() - b.detach().double()).abs().max())


def report(name: str, value: float, tol: float) -> bool:
    ok = value <= tol
    print(f'  {name:<52} max |diff| {value:.3e}  '
          f'{"OK" if ok else "FAIL"} (<= {tol:g})')
    return ok


def mmlt_expert_logits(model, x):
    return model.head.forward_experts(model.extract_feat(x))


def check_ride_r32(repo: str, steps: int = 3) -> bool:
    from mmlt.utils.official_checkpoints import convert_expert_resnet
    print('RIDE ResNet-32, 3 experts (CIFAR-100-LT):')
    nets = ocode.load_official(repo,
                               'model/ldam_drw_resnets/ride_resnet_cifar.py',
                               'official_ride_cifar')
    losses = ocode.load_official(repo, 'model/loss.py', 'official_ride_loss')
    torch.manual_seed(0)
    official = nets.ResNet_s(
        nets.BasicBlock, [5, 5, 5],
        num_experts=3,
        num_classes=100,
        reduce_dimension=True,
        use_norm=True,
        s=30).double()
    ocode.randomise_bn(official)
    ours = build_mmlt(
        'configs/ride/ride-3e_r32_1xb128-200e_cifar100lt-if100.py').double()
    load_converted(official, ours, convert_expert_resnet)
    ok = True
    x = torch.randn(8, 3, 32, 32, dtype=torch.float64)
    target = torch.tensor([0, 3, 10, 40, 60, 80, 95, 99])
    for mode in ('eval', 'train'):
        official.train(mode == 'train')
        ours.train(mode == 'train')
        with torch.no_grad():
            ref = official(x)
            ref_experts = torch.stack(official.logits, dim=1)
            out = mmlt_expert_logits(ours, x)
        ok &= report(f'expert logits ({mode})', maxdiff(ref_experts, out),
                     1e-10)
        ok &= report(f'ensemble logits ({mode})', maxdiff(ref, out.mean(1)),
                     1e-10)

    # the loss, before and after DRW (official epochs are 1-based)
    with ocode.cuda_as_noop():
        criterion = losses.RIDELoss(
            cls_num_list=CIFAR100_LT,
            additional_diversity_factor=-0.45,
            reweight=True,
            reweight_epoch=160,
            reweight_factor=0.05)
    # float32 class weights as both sides store them, applied in float64
    # (torch's cross-entropy needs the weight in the logits' dtype); margins
    # and temperatures stay float32 on both sides
    criterion.per_cls_weights_enabled = \
        criterion.per_cls_weights_enabled.double()
    loss = ours.head.loss_module
    loss.set_class_counts(CIFAR100_LT)
    logits = torch.randn(8, 3, 100, dtype=torch.float64) * 5
    for epoch, drw in ((1, False), (161, True)):
        criterion._hook_before_epoch(epoch)
        loss.set_reweight(drw)
        ref = criterion(
            output_logits=logits.mean(1),
            target=target,
            extra_info=dict(logits=logits.unbind(1)))
        mine = loss(logits, target)
        ok &= report(f'loss, epoch {epoch} (DRW {"on" if drw else "off"})',
                     maxdiff(ref, mine['loss_ind'] + mine['loss_div']), 1e-10)

    # a few SGD steps (Nesterov, wd 5e-4) in train mode, DRW on
    official.train()
    ours.train()
    opt_a = torch.optim.SGD(
        official.parameters(),
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)
    opt_b = torch.optim.SGD(
        ours.parameters(),
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)
    for _ in range(steps):
        out_a = official(x)
        ref = criterion(
            output_logits=out_a,
            target=target,
            extra_info=dict(logits=official.logits))
        mine = loss(mmlt_expert_logits(ours, x), target)
        opt_a.zero_grad()
        ref.backward()
        opt_a.step()
        opt_b.zero_grad()
        (mine['loss_ind'] + mine['loss_div']).backward()
        opt_b.step()
    converted, _ = convert_expert_resnet(official.state_dict())
    state = ours.state_dict()
    ok &= report(f'all parameters and BN statistics after {steps} SGD steps',
                 max(maxdiff(v, state[k]) for k, v in converted.items()),
                 1e-10)
    ok &= check_ride_router(repo, official, x)
    return ok


def check_ride_router(repo, official, x) -> bool:
    """The expert-assignment router on the stage-1 weights: training loss,
    experts used per sample and routed predictions."""
    from mmpretrain.structures import DataSample

    from mmlt.utils.official_checkpoints import convert_expert_resnet
    ea = ocode.load_official(repo, 'model/ldam_drw_resnets/ea_resnet_cifar.py',
                             'official_ride_ea_cifar')
    torch.manual_seed(1)
    off = ea.ResNet_s(
        ea.BasicBlock, [5, 5, 5],
        num_experts=3,
        num_classes=100,
        reduce_dimension=True,
        use_norm=True,
        top_choices_num=30,
        pos_weight=100,
        s=30).double()
    state = dict(official.state_dict())
    state.update({
        k: v
        for k, v in off.state_dict().items() if 'expert_help_pred' in k
    })
    off.load_state_dict(state)
    ours = build_mmlt(
        'configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py'
    ).double()
    converted, _ = convert_expert_resnet(off.state_dict())
    ours.load_state_dict(converted, strict=True)
    off.eval()  # frozen backbone: BN in eval mode on both sides
    ours.train()
    target = torch.randint(0, 100, (x.size(0), ))
    with torch.no_grad():
        _, ref_loss = off(x, target=target)
        mine = ours.loss(x,
                         [DataSample().set_gt_label(int(t))
                          for t in target])['loss_router']
    # the official code keeps the router logits in a float32 buffer
    ok = report('router: training loss (official float32 buffer)',
                maxdiff(ref_loss[0], mine), 1e-6)
    ours.eval()
    with torch.no_grad():
        # move the shared router bias so that about half of the samples
        # stop after the first expert (early exit exercised)
        taps = ours.backbone.forward_shared(x)
        feat = ours.backbone.forward_expert(taps, 0)
        step = ours.router.forward_step(feat, ours.head.expert_logits(feat, 0),
                                        0)
        shift = ours.router.fc.bias - step.median() - 1e-3
        ours.router.fc.bias.copy_(shift)
        off.expert_help_pred_fc.bias.copy_(shift)
        ref, used_ref = off(x)
        logit_sum, used = ours.routed_logits(x)
    ok &= report('router: experts used per sample',
                 maxdiff(used_ref[:, 0], used), 0)
    ok &= report('router: routed mean logits',
                 maxdiff(ref, logit_sum / used[:, None]), 1e-10)
    print(f'  (experts used: {used.tolist()})')
    return ok


def fb_resnet50_pair(repo: str, title: str, source: str, config: str,
                     **kwargs) -> tuple:
    """Build the official ImageNet ResNet-50 (3 experts) of ``source`` with
    ``kwargs``, convert its weights into the model of ``config``; return
    ``(official, ours, x)`` in float64 for the forward checks."""
    from mmlt.utils.official_checkpoints import convert_expert_resnet
    print(f'{title} ResNet-50, 3 experts (ImageNet-LT), 224x224:')
    stub = types.ModuleType('utils')
    stub.autocast = contextlib.nullcontext
    nets = ocode.load_official(
        repo, source, f'official_{title.lower()}_r50', stubs={'utils': stub})
    torch.manual_seed(0)
    official = nets.ResNet(
        nets.Bottleneck, [3, 4, 6, 3],
        num_experts=3,
        num_classes=1000,
        reduce_dimension=True,
        use_norm=True,
        **kwargs).double()
    ocode.randomise_bn(official)
    ours = build_mmlt(config).double()
    load_converted(official, ours, convert_expert_resnet)
    return official, ours, torch.randn(2, 3, 224, 224, dtype=torch.float64)


def check_ride_r50(repo: str) -> bool:
    official, ours, x = fb_resnet50_pair(
        repo, 'RIDE', 'model/fb_resnets/RIDEResNet.py',
        'configs/ride/ride-3e_r50_8xb32-100e_imagenetlt.py')
    ok = True
    for mode in ('eval', 'train'):
        official.train(mode == 'train')
        ours.train(mode == 'train')
        with torch.no_grad():
            ref = official(x)
            out = mmlt_expert_logits(ours, x)
        ok &= report(f'ensemble logits ({mode})', maxdiff(ref, out.mean(1)),
                     1e-9)
    return ok


def check_mdcs_r32(repo: str, steps: int = 3) -> bool:
    from mmlt.engine.hooks import LossWeightRampHook
    from mmlt.utils.official_checkpoints import convert_expert_resnet
    print('MDCS ResNet-32, 3 experts (CIFAR-100-LT), two views:')
    nets = ocode.load_official(
        repo, 'model/ldam_drw_resnets/expert_resnet_cifar.py',
        'official_mdcs_cifar')
    losses = ocode.load_official(repo, 'model/loss.py', 'official_mdcs_loss')
    torch.manual_seed(0)
    official = nets.ResNet_s(
        nets.BasicBlock, [5, 5, 5],
        num_experts=3,
        num_classes=100,
        reduce_dimension=True,
        use_norm=True,
        returns_feat=True,
        s=30).double()
    ocode.randomise_bn(official)
    ours = build_mmlt(
        'configs/mdcs/mdcs_r32_1xb64-400e_cifar100lt-if100.py').double()
    load_converted(official, ours, convert_expert_resnet)
    with ocode.cuda_as_noop():
        criterion = losses.MDCSLoss(cls_num_list=CIFAR100_LT, tau=2)
    loss = ours.head.loss_module
    loss.set_class_counts(CIFAR100_LT)
    ramp = LossWeightRampHook(name='cs_weight', max_value=0.6, ramp_epochs=20)
    # weak views first, labels repeated for the strong views (official
    # trainer); mmlt's head gets the B labels
    b = 8
    x = torch.randn(2 * b, 3, 32, 32, dtype=torch.float64)
    target = torch.tensor([0, 3, 10, 40, 60, 80, 95, 99])
    official.train()
    ours.train()
    ok = True
    with torch.no_grad():
        ref = official(x)['logits']
        out = mmlt_expert_logits(ours, x)
    ok &= report('expert logits (train, both views)', maxdiff(ref, out), 1e-10)
    # make some weak views confident so that the distillation is exercised
    logits = torch.randn(2 * b, 3, 100, dtype=torch.float64) * 3
    logits[torch.arange(b), :, target] += 8.
    logits[torch.arange(b) + b, :, target] += 4.
    for epoch in (1, 10, 30):
        loss.cs_weight = ramp.value(epoch - 1)
        ref = criterion(
            output_logits=logits.mean(1),
            target=target.repeat(2),
            extra_info=dict(logits=logits.unbind(1), epoch=epoch))
        mine = loss(logits, target)
        ok &= report(f'loss at epoch {epoch} (cs weight {loss.cs_weight:g})',
                     maxdiff(ref, mine['loss_dl'] + mine['loss_cs']), 1e-10)
    opt_a = torch.optim.SGD(
        official.parameters(),
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)
    opt_b = torch.optim.SGD(
        ours.parameters(),
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)
    loss.cs_weight = ramp.value(29)
    for _ in range(steps):
        out_a = official(x)
        ref = criterion(
            output_logits=out_a['output'],
            target=target.repeat(2),
            extra_info=dict(logits=out_a['logits'].unbind(1), epoch=30))
        mine = loss(mmlt_expert_logits(ours, x), target)
        opt_a.zero_grad()
        ref.backward()
        opt_a.step()
        opt_b.zero_grad()
        (mine['loss_dl'] + mine['loss_cs']).backward()
        opt_b.step()
    converted, _ = convert_expert_resnet(official.state_dict())
    state = ours.state_dict()
    ok &= report(f'all parameters and BN statistics after {steps} SGD steps',
                 max(maxdiff(v, state[k]) for k, v in converted.items()),
                 1e-10)
    return ok


def check_mdcs_r50(repo: str) -> bool:
    official, ours, x = fb_resnet50_pair(
        repo,
        'MDCS',
        'model/fb_resnets/Expert_ResNet.py',
        'configs/mdcs/mdcs_r50_4xb64-400e_imagenetlt.py',
        returns_feat=True)
    ok = True
    for mode in ('eval', 'train'):
        official.train(mode == 'train')
        ours.train(mode == 'train')
        with torch.no_grad():
            ref = official(x)['logits']
            out = mmlt_expert_logits(ours, x)
        ok &= report(f'expert logits ({mode})', maxdiff(ref, out), 1e-9)
    return ok


def check_shike_r32(repo: str, steps: int = 3) -> bool:
    from mmpretrain.structures import DataSample

    from mmlt.utils.official_checkpoints import convert_shike
    print('SHIKE ResNet-32, 3 experts with depth-wise fusion (CIFAR-100-LT):')
    nets, train = ocode.load_official_shike(repo)
    torch.manual_seed(0)
    official = nets.resnet32(
        num_classes=100, use_norm=True, num_exps=3).double()
    ocode.randomise_bn(official)
    ours = build_mmlt(
        'configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py').double()
    load_converted(official, ours, convert_shike)
    head = ours.head
    head.stage2_loss.set_class_counts(CIFAR100_LT)
    counts = np.array(CIFAR100_LT)  # the official label_dis
    x = torch.randn(8, 3, 32, 32, dtype=torch.float64)
    target = torch.tensor([0, 3, 10, 40, 60, 80, 95, 99])
    onehot = torch.eye(100, dtype=torch.float64)[target]
    samples = [DataSample().set_gt_label(int(t)) for t in target]
    ok = True
    for stage in (1, 2):
        head.set_stage(stage)
        for mode in ('eval', 'train'):
            official.train(mode == 'train')
            ours.train(mode == 'train')
            with torch.no_grad():
                ref = torch.stack(official(x, stage == 2), dim=1)
                out = mmlt_expert_logits(ours, x)
            ok &= report(f'stage {stage}: expert logits ({mode})',
                         maxdiff(ref, out), 1e-10)
    # a few SGD steps of each stage (momentum 0.9, wd 5e-4, no Nesterov);
    # stage 2 trains the second classifier set only, BN in train mode
    opt_a = torch.optim.SGD(
        official.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    opt_b = torch.optim.SGD(
        ours.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    official.train()
    ours.train()
    for stage in (1, 2):
        head.set_stage(stage)
        if stage == 2:
            for name, param in official.named_parameters():
                param.requires_grad_(name.startswith('rt_classifiers'))
            for name, param in ours.named_parameters():
                param.requires_grad_(name.startswith('head.rt_classifiers'))
        for step in range(steps):
            with ocode.cuda_as_noop():
                ref, _ = train.mix_outputs(
                    official(x, stage == 2),
                    onehot,
                    balance=stage == 2,
                    label_dis=counts)
            mine = ours.loss(x, samples)
            total = sum(mine.values())
            if step == 0:
                ok &= report(
                    f'stage {stage}: loss '
                    f'({", ".join(sorted(mine))})', maxdiff(ref, total), 1e-10)
            opt_a.zero_grad()
            ref.backward()
            opt_a.step()
            opt_b.zero_grad()
            total.backward()
            opt_b.step()
        converted, _ = convert_shike(official.state_dict())
        converted.pop('head.stage')  # not a parameter
        state = ours.state_dict()
        ok &= report(
            f'stage {stage}: parameters and BN statistics after '
            f'{steps} SGD steps',
            max(maxdiff(v, state[k]) for k, v in converted.items()), 1e-10)
    return ok


# the official CIFAR-100-LT recipe (AGLU's classification/README.md)
AGLU_CIFAR100_LT = (
    '--model se_resnet32 --batch-size 512 --lr 0.2 --lr-warmup-epochs 3 '
    '--lr-warmup-method linear --auto-augment cifar10 --epochs 500 '
    '--weight-decay 0.001 --mixup-alpha 0.2 --dset_name=cifar100 '
    '--output-dir ../experiments/test --classif_norm cosine '
    '--lr-scheduler cosineannealinglr --imb_factor 0.01 --use_gumbel_se '
    '--criterion iif').split()
APA_R32_CONFIG = ('configs/apa/'
                  'aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py')


def load_official_aglu(repo: str) -> types.SimpleNamespace:
    """AGLU's ``classification/`` modules. Its files import each other by
    plain name; ``train.py`` also imports its data pipeline and
    ``catalyst``, stubbed here (only the argument parser is used)."""
    code = 'classification'

    def load(name, stubs=None):
        return ocode.load_official(
            repo, f'{code}/{name}.py', f'official_aglu_{name}', stubs=stubs)

    mods = types.SimpleNamespace(cbam=load('cbam'))
    mods.resnet_cifar = load('resnet_cifar', {'cbam': mods.cbam})
    mods.resnet_pytorch = load('resnet_pytorch', {
        'cbam': mods.cbam,
        'resnet_cifar': mods.resnet_cifar
    })
    mods.custom = load('custom')
    mods.initialise_model = load(
        'initialise_model', {
            'resnet_pytorch': mods.resnet_pytorch,
            'resnet_cifar': mods.resnet_cifar,
            'custom': mods.custom
        })
    mods.utils = load('utils')
    mods.transforms = load('transforms')
    stubs = {
        name: types.ModuleType(name)
        for name in ('presets', 'sampler', 'imbalanced_dataset', 'catalyst',
                     'catalyst.data')
    }
    stubs['sampler'].RASampler = None
    stubs['catalyst.data'].BalanceClassSampler = None
    stubs['catalyst.data'].DistributedSamplerWrapper = None
    stubs.update(
        utils=mods.utils,
        transforms=mods.transforms,
        resnet_pytorch=mods.resnet_pytorch,
        initialise_model=mods.initialise_model)
    mods.train = load('train', stubs)
    return mods


def sgd_settings(optimizer, names) -> dict:
    """``{name: (lr, momentum, dampening, weight_decay, nesterov)}`` of
    every parameter of an SGD optimiser."""
    out = {}
    for group in optimizer.param_groups:
        for param in group['params']:
            out[names[id(param)]] = (group['lr'], group['momentum'],
                                     group['dampening'], group['weight_decay'],
                                     float(group['nesterov']))
    return out


def check_apa_r32(repo: str, steps: int = 3) -> bool:
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample

    from mmlt.utils.official_checkpoints import convert_aglu_resnet
    print('APA: SE-ResNet-32 with AGLU + APA-SE, cosine classifier + IIF '
          '(CIFAR-100-LT):')
    off = load_official_aglu(repo)
    args = off.train.get_args_parser().parse_args(AGLU_CIFAR100_LT)
    print(f'  official recipe: --model {args.model} --classif_norm '
          f'{args.classif_norm} --criterion {args.criterion} (--iif '
          f'{args.iif}) --opt {args.opt} --lr {args.lr} --momentum '
          f'{args.momentum} --wd {args.weight_decay} --norm-weight-decay '
          f'{args.norm_weight_decay} --label-smoothing '
          f'{args.label_smoothing} --mixup-alpha {args.mixup_alpha}')
    torch.manual_seed(0)
    with ocode.cuda_as_noop(), contextlib.redirect_stdout(None):
        official = off.initialise_model.get_model(args, 100).double()
    block = type(official.layer1[0]).__name__
    assert block == 'Se_Block_Gumbel', block
    ocode.randomise_bn(official)
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():  # the LayerNorms of APA-SE too
        for m in official.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + .5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - .5)
    options = {'model.backbone.act_cfg.legacy_lambda_grad': True}
    ours = build_mmlt(APA_R32_CONFIG, options).double()
    load_converted(official, ours, convert_aglu_resnet)
    head = ours.head
    head.set_class_counts(CIFAR100_LT)
    # train.py's get_criterion for --criterion iif (not --deffered), on
    # the CPU
    assert args.criterion == 'iif' and not args.deffered
    with warnings.catch_warnings():  # its tensor-from-list warning
        warnings.simplefilter('ignore', UserWarning)
        criterion = off.custom.IIFLoss(
            types.SimpleNamespace(get_cls_num_list=lambda: CIFAR100_LT),
            weight=None,
            variant=args.iif,
            label_smoothing=args.label_smoothing,
            device='cpu')

    def ours_logits(x):
        return head(ours.extract_feat(x))

    def forward_both(x, seed=0):
        # the same dropout masks on both sides (APA-SE's Dropout(0.1))
        torch.manual_seed(seed)
        ref = official(x)
        torch.manual_seed(seed)
        return ref, ours_logits(x)

    ok = True
    x = torch.randn(8, 3, 32, 32, dtype=torch.float64)
    target = torch.tensor([0, 3, 10, 40, 60, 80, 95, 99])
    for mode in ('eval', 'train'):
        official.train(mode == 'train')
        ours.train(mode == 'train')
        with torch.no_grad():
            ref, out = forward_both(x)
        ok &= report(f'logits ({mode})', maxdiff(ref, out), 1e-10)
        if mode == 'eval':  # evaluate(): criterion(output, infer=True)
            ok &= report(
                'logits + IIF (eval)',
                maxdiff(criterion(ref, infer=True), head.adjust_logits(out)),
                1e-10)

    # the loss on hard labels and on the recipe's Mixup targets (train.py's
    # collate_fn: RandomMixup(p=1, alpha=--mixup-alpha), one-hot scores)
    mixup = off.transforms.RandomMixup(100, p=1.0, alpha=args.mixup_alpha)
    torch.manual_seed(3)
    x_mix, soft = mixup(x, target)
    official.train()
    ours.train()
    for name, inputs, labels in (('hard labels', x, target), ('Mixup targets',
                                                              x_mix, soft)):
        if labels.dim() == 1:
            samples = [DataSample().set_gt_label(int(t)) for t in labels]
        else:
            samples = [DataSample().set_gt_score(t) for t in labels]
        torch.manual_seed(0)
        ref = criterion(official(inputs), labels)
        torch.manual_seed(0)
        mine = ours.loss(inputs, samples)
        ok &= report(f'loss, {name}', maxdiff(ref, sum(mine.values())), 1e-10)

    # optimisers: train.py's (set_weight_decay with zero decay on
    # lambda_param / kappa_param) and the config's optim_wrapper
    utils_params = off.utils.set_weight_decay(
        official,
        args.weight_decay,
        norm_weight_decay=args.norm_weight_decay,
        custom_keys_weight_decay=[('lambda_param', 0.0), ('kappa_param', 0.0)])
    assert args.opt.lower().startswith('sgd')
    opt_a = torch.optim.SGD(
        utils_params,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        nesterov='nesterov' in args.opt.lower())
    cfg = Config.fromfile(osp.join(REPO, APA_R32_CONFIG))
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # no per-parameter log lines
    try:
        opt_b = build_optim_wrapper(ours, cfg.optim_wrapper).optimizer
    finally:
        logger.setLevel(level)
    names_a = {
        id(p): next(iter(convert_aglu_resnet({n: p.detach()})[0]))
        for n, p in official.named_parameters()
    }
    names_b = {id(p): n for n, p in ours.named_parameters()}
    set_a, set_b = sgd_settings(opt_a, names_a), sgd_settings(opt_b, names_b)
    diff = max(
        float(np.abs(np.subtract(v, set_b[k])).max()) if k in set_b else np.inf
        for k, v in set_a.items())
    ok &= report(f'SGD settings of all {len(set_a)} parameters',
                 diff if set(set_a) == set(set_b) else np.inf, 0)
    no_decay = sorted({k.split('.')[-1] for k, v in set_b.items() if not v[3]})
    print(f'  (lr {args.lr}, momentum {args.momentum}, nesterov '
          f'{"nesterov" in args.opt.lower()}, weight decay '
          f'{args.weight_decay}, none on {", ".join(no_decay)})')

    # a few SGD steps on Mixup batches in train mode, at the base lr (the
    # warm-up's first epoch would be at 0.01 x on both sides)
    for step in range(steps):
        torch.manual_seed(10 + step)
        x_step, soft = mixup(
            torch.randn(8, 3, 32, 32, dtype=torch.float64),
            torch.randint(0, 100, (8, )))
        samples = [DataSample().set_gt_score(t) for t in soft]
        torch.manual_seed(step)
        ref = criterion(official(x_step), soft)
        torch.manual_seed(step)
        mine = sum(ours.loss(x_step, samples).values())
        opt_a.zero_grad()
        ref.backward()
        opt_a.step()
        opt_b.zero_grad()
        mine.backward()
        opt_b.step()
    converted, _ = convert_aglu_resnet(official.state_dict())
    state = ours.state_dict()
    ok &= report(f'all parameters and BN statistics after {steps} SGD steps',
                 max(maxdiff(v, state[k]) for k, v in converted.items()),
                 1e-10)
    return ok


# the official CIFAR-100-LT student command line (sh/train_c100_if100.sh;
# the teacher path and logging options left out)
DEIT_LT_CIFAR100_LT = (
    '--model deit_base_distilled_patch16_224 --batch-size 128 --epochs 1200 '
    '--gpu 0 --distillation-type hard --data-path cifar100 --data-set '
    'CIFAR100LT --imb_factor 0.01 --student-transform 0 --teacher-transform 0 '
    '--teacher-model resnet32 --teacher-size 32 --drw 1100 --no-mixup-drw '
    '--custom_model --accum-iter 4 --save_freq 300 --weighted-distillation '
    '--moco-t 0.05 --moco-k 1024 --moco-dim 32 --feat_dim 64 --paco').split()
DEIT_LT_GPUS = 2  # CUDA_VISIBLE_DEVICES=0,1, --nproc_per_node=2
DEIT_LT_CONFIG = ('configs/deit_lt/'
                  'deit-lt_deit-b16_2xb128-1200e_cifar100lt-if100.py')


def build_deit_lt(arch=None, teacher_checkpoint=None):
    """The student of :data:`DEIT_LT_CONFIG` (its teacher config, the
    given checkpoint), drop path 0 (the two sides draw their drop-path
    masks differently), ``arch`` overridden."""
    from mmengine.config import Config

    from mmlt.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, DEIT_LT_CONFIG)).model
    cfg.pop('init_cfg', None)
    cfg.backbone.drop_path_rate = 0.
    if arch is not None:
        cfg.backbone.arch = arch
        cfg.head.in_channels = arch['embed_dims']
    cfg.teacher.checkpoint = teacher_checkpoint
    return MODELS.build(cfg)


def randomise_vit(model: nn.Module, seed: int = 1) -> None:
    """Non-trivial LayerNorm affine parameters and biases (zeros and ones
    at initialisation), so that the forward checks bite."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith('bias'):
                param.copy_(torch.rand(param.shape, generator=gen) - 0.5)
            elif param.dim() == 1:  # LayerNorm weights
                param.copy_(torch.rand(param.shape, generator=gen) + 0.5)


def adamw_settings(optimizer, names) -> dict:
    """``{name: (lr, beta1, beta2, eps, weight_decay, amsgrad)}`` of every
    parameter of an AdamW optimiser."""
    out = {}
    for group in optimizer.param_groups:
        for param in group['params']:
            out[names[id(param)]] = (group['lr'], *group['betas'],
                                     group['eps'], group['weight_decay'],
                                     float(group['amsgrad']))
    return out


@contextlib.contextmanager
def label_smooth_keeps_dtype():
    """mmpretrain's ``LabelSmoothLoss`` casts its targets to float32
    (``generate_one_hot_like_label``: ``label.float()``), a rounding of
    ~1e-8 that matters only in float64: keep soft targets in their dtype
    while this is active."""
    from mmpretrain.models.losses import LabelSmoothLoss
    original = LabelSmoothLoss.generate_one_hot_like_label

    def keep(self, label):
        if label.dim() == 2 and label.shape[1] > 1 and label.is_floating_point(
        ):
            return label
        return original(self, label)

    LabelSmoothLoss.generate_one_hot_like_label = keep
    try:
        yield
    finally:
        LabelSmoothLoss.generate_one_hot_like_label = original


def report_deit_lt_recipe(args, cfg) -> bool:
    """The settings of the official command line (``arguments.py``
    defaults + ``sh/train_c100_if100.sh``) against the mmlt config."""
    model = cfg.model
    (hook, ) = [
        h for h in cfg.custom_hooks if h['type'] == 'DRWSwitchRecipeHook'
    ]
    augments = {a['type']: a['alpha'] for a in model.train_cfg.augments}
    warmup, cosine = cfg.param_scheduler
    lr = cfg.optim_wrapper.optimizer.lr
    pairs = {
        'classes': (args.nb_classes, model.head.num_classes),
        'distillation alpha': (args.distillation_alpha, model.head.alpha),
        'distillation type':
        (args.distillation_type, model.head.distill_loss.distill_type),
        'label smoothing': (args.smoothing, model.head.loss.label_smooth_val),
        'DRW beta': (args.beta, model.head.distill_loss.beta),
        'DRW epoch': (args.drw, hook.get('start_epoch')),
        'epochs': (args.epochs, cfg.train_cfg.max_epochs),
        'Mixup alpha': (args.mixup, augments.get('Mixup')),
        'CutMix alpha': (args.cutmix, augments.get('CutMix')),
        'teacher size': (args.teacher_size, model.teacher.input_size),
        'teacher resize (interpolation=3)':
        ('bicubic', model.teacher.interpolation),
        'input size': (args.input_size, model.backbone.img_size),
        'drop path': (args.drop_path, model.backbone.drop_path_rate),
        'batch per GPU': (args.batch_size, cfg.train_dataloader.batch_size),
        'accumulation': (args.accum_iter,
                         cfg.optim_wrapper.get('accumulative_counts', 1)),
        'optimizer': (args.opt, cfg.optim_wrapper.optimizer.type.lower()),
        'lr': (args.lr * args.batch_size * DEIT_LT_GPUS / 512, lr),
        'weight decay':
        (args.weight_decay, cfg.optim_wrapper.optimizer.weight_decay),
        'eps': (args.opt_eps, cfg.optim_wrapper.optimizer.eps),
        'warm-up epochs': (args.warmup_epochs, warmup.end),
        'warm-up start lr': (args.warmup_lr, warmup.start_factor * lr),
        'min lr': (args.min_lr, cosine.eta_min),
    }
    differ = {
        k: v
        for k, v in pairs.items()
        if not (v[0] == v[1] or isinstance(v[0], float)
                and np.isclose(v[0], v[1], rtol=1e-12, atol=0))
    }
    print(f'  recipe: {len(pairs) - len(differ)} of {len(pairs)} settings '
          f'equal ({", ".join(k for k in pairs if k not in differ)})')
    for key, (theirs, mine) in differ.items():
        print(f'  recipe: {key}: official {theirs!r}, mmlt {mine!r}')
    return report('recipe settings that differ', len(differ), 0)


def check_deit_lt(repo: str, steps: int = 3) -> bool:
    """DeiT-LT (val-iisc/DeiT-LT): student logits, loss and AdamW steps.

    Runs with float64 as torch's default dtype (timm's Mixup builds its
    targets in the default dtype)."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _check_deit_lt(repo, steps)
    finally:
        torch.set_default_dtype(default)


def _check_deit_lt(repo: str, steps: int) -> bool:
    with contextlib.ExitStack() as stack:
        return _check_deit_lt_in(repo, steps, stack)


def _check_deit_lt_in(repo: str, steps: int, stack) -> bool:
    import tempfile
    from functools import partial

    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample
    from timm.data import Mixup
    from timm.loss import SoftTargetCrossEntropy
    from timm.optim import create_optimizer
    from torchvision import transforms

    from mmlt.registry import MODELS
    from mmlt.utils.official_checkpoints import convert_deit_lt
    print('DeiT-LT: distilled DeiT-B/16 student, CLS + DIST heads, hard '
          'distillation from a ResNet-32 teacher (CIFAR-100-LT):')
    off = ocode.load_official_deit_lt(repo)
    args = off.arguments.get_args_parser().parse_args(DEIT_LT_CIFAR100_LT)
    args.nb_classes = classes = 100
    args.map_targets = False  # CIFAR: no class_map
    cfg = Config.fromfile(osp.join(REPO, DEIT_LT_CONFIG))
    ok = report_deit_lt_recipe(args, cfg)

    # 1. the released architecture (deit_base_distilled_patch16_224): CLS,
    # DIST and averaged logits at 224
    torch.manual_seed(0)
    official = off.models.deit_base_distilled_patch16_224(
        num_classes=classes, drop_path_rate=0.)
    randomise_vit(official)
    ours = build_deit_lt()
    load_converted(official, ours, convert_deit_lt)
    x = torch.randn(4, 3, 224, 224)
    for mode in ('eval', 'train'):
        official.train(mode == 'train')
        ours.train(mode == 'train')
        with torch.no_grad():
            ref = official(x)
            cls_score, dist_score = ours.head.forward_branches(
                ours.extract_feat(x))
            mean = ours(x, mode='tensor')
        ok &= report(f'DeiT-B/16: CLS logits ({mode})',
                     maxdiff(ref[0], cls_score), 1e-10)
        ok &= report(f'DeiT-B/16: DIST logits ({mode})',
                     maxdiff(ref[1], dist_score), 1e-10)
        if mode == 'eval':  # evaluate(): acc1_avg of (cls + dist) / 2
            ok &= report('DeiT-B/16: prediction = mean logits (eval)',
                         maxdiff((ref[0] + ref[1]) / 2, mean), 1e-10)
    del official, ours

    # 2. the training loss and AdamW steps on a 2-block DeiT-B (the official
    # class hard-codes its 768-d patch embedding at 16 px: depth is free)
    torch.manual_seed(1)
    official = off.models.deit.DistilledVisionTransformer(
        patch_size=16,
        embed_dim=768,
        depth=2,
        num_heads=12,
        mlp_ratio=4,
        qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        num_classes=classes,
        drop_path_rate=0.)
    randomise_vit(official)
    arch = dict(
        embed_dims=768, num_layers=2, num_heads=12, feedforward_channels=3072)
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    # a ResNet-32 teacher with random weights and BN statistics, loaded
    # by the student's FrozenTeacher from a checkpoint
    cfg = Config.fromfile(osp.join(REPO, DEIT_LT_CONFIG))
    teacher = MODELS.build(Config.fromfile(cfg.model.teacher.config).model)
    ocode.randomise_bn(teacher)
    ckpt = osp.join(tmp, 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    ours = build_deit_lt(arch, teacher_checkpoint=ckpt)
    load_converted(official, ours, convert_deit_lt)
    head = ours.head
    for module in ours.modules():
        if hasattr(module, 'set_class_counts'):
            module.set_class_counts(CIFAR100_LT)
    # main.py's class weights (float32, as both sides store them)
    effective = 1.0 - np.power(args.beta, CIFAR100_LT)
    weights = (1.0 - args.beta) / np.array(effective)
    weights = weights / np.sum(weights) * len(CIFAR100_LT)
    weights = torch.FloatTensor(weights).double()

    # the teacher sees the student's mixed batch, resized to 32 px:
    # engine.py's transforms.Resize(teacher_size, interpolation=3) on a
    # tensor, which torchvision 0.15.1 (environment.yml) runs without
    # antialiasing (newer torchvision: antialias=True by default)
    def official_teacher_input(batch, antialias=False):
        return transforms.Resize(
            args.teacher_size,
            interpolation=transforms.InterpolationMode.BICUBIC,
            antialias=antialias)(
                batch)

    mixup_args = dict(
        mixup_alpha=args.mixup,
        cutmix_alpha=args.cutmix,
        cutmix_minmax=args.cutmix_minmax,
        prob=args.mixup_prob,
        switch_prob=args.mixup_switch_prob,
        mode=args.mixup_mode,
        num_classes=classes)
    mixup = Mixup(label_smoothing=args.smoothing, **mixup_args)
    # mmlt's Mixup/CutMix batch augments give the unsmoothed mixed targets;
    # its LabelSmoothLoss smooths them
    mixup_plain = Mixup(label_smoothing=0., **mixup_args)

    def mixed_batch(seed, size=4):
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(size, 3, 224, 224, generator=gen)
        y = torch.randint(0, classes, (size, ), generator=gen)
        np.random.seed(seed)
        x_off, soft = mixup(x.clone(), y)
        np.random.seed(seed)
        x_ours, plain = mixup_plain(x.clone(), y)
        assert torch.equal(x_off, x_ours)
        samples = [
            DataSample().set_gt_label(int(t)).set_gt_score(s)
            for t, s in zip(y, plain)
        ]
        return x_off, y, soft, samples

    x_mix, y, soft, samples = mixed_batch(0)
    teacher_model = ours.teacher.build(x_mix.device)  # loads ckpt, frozen
    with torch.no_grad():
        mine_t = ours.teacher(x_mix)
        ref_t = teacher_model(official_teacher_input(x_mix), mode='tensor')
        new_t = teacher_model(
            official_teacher_input(x_mix, antialias=True), mode='tensor')
    ok &= report('teacher logits on the mixed batch (bicubic to 32 px)',
                 maxdiff(ref_t, mine_t), 1e-10)
    print(f'  (with torchvision >= 0.17 defaults, antialias=True, the '
          f'official teacher input differs: logits max |diff| '
          f'{maxdiff(new_t, mine_t):.2e}, argmax agrees on '
          f'{int((new_t.argmax(1) == mine_t.argmax(1)).sum())}/'
          f'{len(mine_t)})')

    def criterion(base, distillation_type='hard', weighted=False, tau=1.0):
        # teacher_model: the frozen teacher on engine.py's resized batch
        return off.losses.DistillationLoss(
            base,
            lambda inputs: teacher_model(inputs, mode='tensor'),
            distillation_type,
            args.distillation_alpha,
            tau,
            args.input_size,
            args.teacher_size,
            weighted,
            weights,
            args=args)

    def compare(name, crit, inputs, labels, samples, total_only=False):
        official.train()
        ours.train()
        with torch.no_grad(), ocode.cuda_as_noop():
            ref, ref_cls, ref_dist = crit(
                official_teacher_input(inputs), official(inputs), labels)
            mine = ours.loss(inputs, samples)
        res = report(f'{name}: loss_cls = (1-a) L_cls',
                     maxdiff(ref_cls, mine['loss_cls']), 1e-10)
        res &= report(f'{name}: loss_dist = a L_dist',
                      maxdiff(ref_dist, mine['loss_dist']), 1e-10)
        return res & report(f'{name}: total',
                            maxdiff(ref, mine['loss_cls'] + mine['loss_dist']),
                            1e-10)

    distill = head.distill_loss
    # before DRW: SoftTargetCrossEntropy on the smoothed Mixup/CutMix
    # targets + hard distillation, unweighted (main.py without the flag
    # bug) and weighted (--weighted-distillation without --drw: weights on
    # from epoch 0, the 1-tuple bug; mmlt's reweight='effective_num')
    distill.set_reweight(False)
    official.train()
    ours.train()
    with torch.no_grad(), ocode.cuda_as_noop():
        _, ref_cls, _ = criterion(SoftTargetCrossEntropy())(
            official_teacher_input(x_mix), official(x_mix), soft)
        mine = ours.loss(x_mix, samples)
    ok &= report('Mixup: loss_cls, LabelSmoothLoss as is (float32 targets)',
                 maxdiff(ref_cls, mine['loss_cls']), 1e-6)
    stack.enter_context(label_smooth_keeps_dtype())
    print('  (from here on LabelSmoothLoss keeps the float64 targets)')
    ok &= compare('Mixup, hard', criterion(SoftTargetCrossEntropy()), x_mix,
                  soft, samples)
    distill.set_reweight(True)
    ok &= compare('Mixup, hard weighted',
                  criterion(SoftTargetCrossEntropy(), weighted=True), x_mix,
                  soft, samples)
    # soft distillation (not in the recipes), tau 2, DeiT's N*C scaling;
    # the official weighted soft variant renormalises log-probabilities and
    # is deliberately not reproduced
    hard = head.distill_loss
    head.distill_loss = MODELS.build(
        dict(
            type='DeiTLTDistillLoss',
            distill_type='soft',
            tau=2.0,
            soft_numel_scaling=True))
    ok &= compare('Mixup, soft (tau 2)',
                  criterion(SoftTargetCrossEntropy(), 'soft', tau=2.0), x_mix,
                  soft, samples)
    head.distill_loss = hard
    # after DRW (--no-mixup-drw): plain CE on hard labels, no mixing,
    # weighted hard distillation: the switch of DRWSwitchRecipeHook
    (hook, ) = [
        h for h in cfg.custom_hooks if h['type'] == 'DRWSwitchRecipeHook'
    ]
    loss_cls = head.loss_module
    head.loss_module = MODELS.build(
        hook.get('loss', dict(type='CrossEntropyLoss', loss_weight=1.0)))
    gen = torch.Generator().manual_seed(5)
    x_plain = torch.randn(4, 3, 224, 224, generator=gen)
    labels = torch.tensor([0, 3, 50, 99])
    hard_samples = [DataSample().set_gt_label(int(t)) for t in labels]
    ok &= compare('DRW, CE + hard weighted',
                  criterion(nn.CrossEntropyLoss(), weighted=True), x_plain,
                  labels, hard_samples)
    head.loss_module = loss_cls

    # 3. optimiser: timm's create_optimizer (main.py; no decay on 1-d
    # parameters and no_weight_decay()) vs the config's optim_wrapper, at
    # main.py's scaled lr; then AdamW steps on Mixup batches, weighted
    args.lr = args.lr * args.batch_size * DEIT_LT_GPUS / 512.0
    opt_a = create_optimizer(args, official)
    optim_cfg = cfg.optim_wrapper
    optim_cfg.pop('accumulative_counts', None)  # a wrapper matter
    optim_cfg.type = 'OptimWrapper'
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        opt_b = build_optim_wrapper(ours, optim_cfg).optimizer
    finally:
        logger.setLevel(level)
    names_a = {
        id(p): next(iter(convert_deit_lt({n: p.detach()})[0]))
        for n, p in official.named_parameters()
    }
    names_b = {id(p): n for n, p in ours.named_parameters()}
    set_a, set_b = adamw_settings(opt_a,
                                  names_a), adamw_settings(opt_b, names_b)
    diff = max(
        float(np.abs(np.subtract(v, set_b[k])).max()) if k in set_b else np.inf
        for k, v in set_a.items())
    ok &= report(f'AdamW settings of all {len(set_a)} parameters',
                 diff if set(set_a) == set(set_b) else np.inf, 0)
    print(
        f'  (lr {args.lr:g} = 5e-4 x {args.batch_size} x {DEIT_LT_GPUS} '
        f'GPUs / 512 on both sides, weight decay {args.weight_decay}, none on '
        f'{sum(not v[4] for v in set_b.values())} of {len(set_b)} '
        'parameters: norms, biases, tokens, pos_embed)')
    distill.set_reweight(True)
    official.train()
    ours.train()
    for step in range(steps):
        x_step, _, soft, samples = mixed_batch(10 + step)
        with ocode.cuda_as_noop():
            ref, _, _ = criterion(
                SoftTargetCrossEntropy(),
                weighted=True)(official_teacher_input(x_step),
                               official(x_step), soft)
        mine = sum(ours.loss(x_step, samples).values())
        opt_a.zero_grad()
        ref.backward()
        opt_a.step()
        opt_b.zero_grad()
        mine.backward()
        opt_b.step()
    converted, _ = convert_deit_lt(official.state_dict())
    state = ours.state_dict()
    ok &= report(f'all parameters after {steps} AdamW steps',
                 max(maxdiff(v, state[k]) for k, v in converted.items()),
                 1e-10)
    return ok


PACO_CONFIGS = dict(
    PaCo='configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py',
    GPaCo='configs/paco/gpaco_r32_1xb128-400e_cifar100lt-if100.py')


def check_paco_loss(off, variant: str) -> bool:
    """The official ``PaCoLoss`` against mmlt's on random features, labels
    and logits (8 anchors, 16 for GPaCo's two views; a queue of 64)."""
    from mmlt.models.losses import PaCoLoss
    from mmlt.testing.official_paco import float32_as_float64
    settings = [
        dict(alpha=0.01, beta=1., gamma=1., temperature=0.05),
        dict(
            alpha=0.5,
            beta=0.7,
            gamma=0.3,
            temperature=0.2,
            base_temperature=0.07,
            supt=2.),
    ]
    if variant == 'GPaCo':
        settings.append(dict(alpha=0.05, temperature=0.2, smooth=0.1))
    torch.manual_seed(5)
    b, queue, ok = 8, 64, True
    anchors = b if variant == 'PaCo' else 2 * b
    for setting in settings:
        features = nn.functional.normalize(
            torch.randn(2 * b + queue, 32, dtype=torch.float64), dim=1)
        labels = torch.randint(0, 100, (2 * b + queue, ))
        labels[b:2 * b] = labels[:b]
        logits = torch.randn(anchors, 100, dtype=torch.float64) * 3
        criterion = off.losses.PaCoLoss(K=queue, num_classes=100, **setting)
        criterion.cal_weight_for_classes(CIFAR100_LT)
        with float32_as_float64():
            ref = criterion(features, labels, logits)
        ours = PaCoLoss(
            alpha=setting['alpha'],
            beta=setting.get('beta', 1.),
            gamma=setting.get('gamma', 1.),
            temperature=setting['temperature'],
            base_temperature=setting.get('base_temperature'),
            cls_temperature=setting.get('supt', 1.),
            label_smooth=setting.get('smooth', 0.),
            class_counts=CIFAR100_LT)(logits, features, labels)
        name = ', '.join(f'{k} {v:g}' for k, v in setting.items())
        ok &= report(f'loss ({name})',
                     maxdiff(ref, ours['loss_cls'] + ours['loss_contrast']),
                     1e-12)
    return ok


def check_paco_r32(repo: str, variant: str = 'PaCo', steps: int = 3) -> bool:
    from mmpretrain.structures import DataSample

    from mmlt.testing.official_paco import (float32_as_float64,
                                            load_official_paco,
                                            official_paco_model,
                                            official_paco_session)
    from mmlt.utils.paco_checkpoint import convert_paco
    print(f'{variant} ResNet-32 (CIFAR-100-LT; moco-dim 32, queue 1024, '
          'T 0.05, alpha 0.01):')
    off = load_official_paco(repo, variant)
    ok = True
    with official_paco_session():
        ok &= check_paco_loss(off, variant)
        torch.manual_seed(0)
        official, criterion = official_paco_model(
            off,
            variant,
            num_classes=100,
            dim=32,
            queue_len=1024,
            feat_dim=64,
            temperature=0.05,
            alpha=0.01,
            class_counts=CIFAR100_LT)
        official = official.double()
        # the key encoder gets other BN values than the query encoder
        ocode.randomise_bn(official)
        ours = build_mmlt(PACO_CONFIGS[variant]).double()
        load_converted(official, ours, convert_paco)
        ours.head.loss_module.set_class_counts(CIFAR100_LT)
        b = 8
        target = torch.tensor([0, 3, 10, 40, 60, 80, 95, 99])
        samples = [DataSample().set_gt_label(int(t)) for t in target]
        x = torch.randn(2 * b, 3, 32, 32, dtype=torch.float64)
        official.eval()
        ours.eval()
        with torch.no_grad():
            ok &= report('logits (eval)',
                         maxdiff(official(x[:b]), ours(x[:b])), 1e-12)
        # training steps: momentum update, keys, loss, queue push, SGD
        official.train()
        ours.train()
        opt_a = torch.optim.SGD(
            official.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        opt_b = torch.optim.SGD(
            ours.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        for step in range(steps):
            if step:
                x = torch.randn(2 * b, 3, 32, 32, dtype=torch.float64)
            feats, labels, logits = official(
                im_q=x[:b], im_k=x[b:], labels=target)
            with float32_as_float64():
                ref = criterion(feats, labels, logits)
            mine = ours.loss(x, samples)
            mine = mine['loss_cls'] + mine['loss_contrast']
            ok &= report(f'training loss, step {step + 1}', maxdiff(ref, mine),
                         1e-12)
            opt_a.zero_grad()
            ref.backward()
            opt_a.step()
            opt_b.zero_grad()
            mine.backward()
            opt_b.step()
        converted, _ = convert_paco(official.state_dict())
        state = ours.state_dict()
        keys = [k for k in converted if not k.startswith('queue')]
        ok &= report(
            f'{len(keys)} parameters / BN statistics after {steps} steps',
            max(maxdiff(converted[k], state[k]) for k in keys), 1e-12)
        if variant == 'PaCo':
            ok &= report(
                '  of which the key encoder',
                max(
                    maxdiff(converted[k], state[k]) for k in keys
                    if k.startswith('encoder_k.')), 1e-12)
        ok &= report(
            'queue, its labels and pointer after the steps',
            max(
                maxdiff(converted[k], state[k])
                for k in ('queue', 'queue_labels', 'queue_ptr')), 1e-12)
    return ok


CHECKS = ('ride_r32', 'ride_r50', 'mdcs_r32', 'mdcs_r50', 'shike_r32',
          'apa_r32', 'deit_lt', 'paco_r32', 'gpaco_r32')
# checks whose checkout option is not named after the check
REPO_OPTION = {'apa': 'aglu', 'deit': 'deit_lt', 'gpaco': 'paco'}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--ride-repo', help='RIDE-LongTailRecognition '
        'checkout')
    parser.add_argument('--mdcs-repo', help='MDCS checkout')
    parser.add_argument('--shike-repo', help='SHIKE checkout')
    parser.add_argument(
        '--aglu-repo', help='AGLU checkout (APA; kostas1515/AGLU)')
    parser.add_argument(
        '--deit-lt-repo', help='DeiT-LT checkout (val-iisc/DeiT-LT)')
    parser.add_argument(
        '--paco-repo',
        help='Parametric-Contrastive-Learning checkout (PaCo, GPaCo)')
    parser.add_argument(
        '--checks', nargs='+', choices=CHECKS, default=list(CHECKS))
    args = parser.parse_args(argv)
    sys.path.insert(0, REPO)
    import mmlt  # noqa: F401
    np.random.seed(0)
    checks = dict(
        ride_r32=lambda: check_ride_r32(args.ride_repo),
        ride_r50=lambda: check_ride_r50(args.ride_repo),
        mdcs_r32=lambda: check_mdcs_r32(args.mdcs_repo),
        mdcs_r50=lambda: check_mdcs_r50(args.mdcs_repo),
        shike_r32=lambda: check_shike_r32(args.shike_repo),
        apa_r32=lambda: check_apa_r32(args.aglu_repo),
        deit_lt=lambda: check_deit_lt(args.deit_lt_repo),
        paco_r32=lambda: check_paco_r32(args.paco_repo, 'PaCo'),
        gpaco_r32=lambda: check_paco_r32(args.paco_repo, 'GPaCo'))
    ok = True
    for name in args.checks:
        method = name.split('_')[0]
        method = REPO_OPTION.get(method, method)
        repo = getattr(args, f'{method}_repo')
        if not repo:
            raise SystemExit(f'{name} needs --{method.replace("_", "-")}-repo')
        ok &= checks[name]()
    print('ALL EQUAL' if ok else 'SOME CHECKS FAILED')
    return ok


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
