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
  3 SGD steps.

Example::

    python tools/model_converters/verify_equivalence.py \\
        --ride-repo /path/to/RIDE-LongTailRecognition \\
        --mdcs-repo /path/to/MDCS --shike-repo /path/to/SHIKE \\
        --aglu-repo /path/to/AGLU
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


CHECKS = ('ride_r32', 'ride_r50', 'mdcs_r32', 'mdcs_r50', 'shike_r32',
          'apa_r32')
# checks whose checkout option is not named after the check
REPO_OPTION = {'apa': 'aglu'}


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
        apa_r32=lambda: check_apa_r32(args.aglu_repo))
    ok = True
    for name in args.checks:
        method = name.split('_')[0]
        method = REPO_OPTION.get(method, method)
        repo = getattr(args, f'{method}_repo')
        if not repo:
            raise SystemExit(f'{name} needs --{method}-repo')
        ok &= checks[name]()
    print('ALL EQUAL' if ok else 'SOME CHECKS FAILED')
    return ok


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
