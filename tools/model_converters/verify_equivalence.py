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
  ``cifarTrain.mix_outputs``, 3 SGD steps of each stage.

Example::

    python tools/model_converters/verify_equivalence.py \\
        --ride-repo /path/to/RIDE-LongTailRecognition \\
        --mdcs-repo /path/to/MDCS --shike-repo /path/to/SHIKE
"""
import argparse
import contextlib
import os.path as osp
import sys
import types

import numpy as np
import torch
import torch.nn as nn

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
import mmlt.testing as ocode  # noqa: E402

CIFAR100_LT = [int(500 * 0.01**(c / 99)) for c in range(100)]


def build_mmlt(config: str) -> nn.Module:
    """The model of an mmlt config, NCHW, without pretrained weights."""
    from mmengine.config import Config

    from mmlt.registry import MODELS
    model_cfg = Config.fromfile(osp.join(REPO, config)).model
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


def check_ride_r50(repo: str) -> bool:
    from mmlt.utils.official_checkpoints import convert_expert_resnet
    print('RIDE ResNet-50, 3 experts (ImageNet-LT), 224x224:')
    stub = types.ModuleType('utils')
    stub.autocast = contextlib.nullcontext
    nets = ocode.load_official(
        repo,
        'model/fb_resnets/RIDEResNet.py',
        'official_ride_r50',
        stubs={'utils': stub})
    torch.manual_seed(0)
    official = nets.ResNet(
        nets.Bottleneck, [3, 4, 6, 3],
        num_experts=3,
        num_classes=1000,
        reduce_dimension=True,
        use_norm=True).double()
    ocode.randomise_bn(official)
    ours = build_mmlt(
        'configs/ride/ride-3e_r50_8xb32-100e_imagenetlt.py').double()
    load_converted(official, ours, convert_expert_resnet)
    x = torch.randn(2, 3, 224, 224, dtype=torch.float64)
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
    from mmlt.utils.official_checkpoints import convert_expert_resnet
    print('MDCS ResNet-50, 3 experts (ImageNet-LT), 224x224:')
    stub = types.ModuleType('utils')
    stub.autocast = contextlib.nullcontext
    nets = ocode.load_official(
        repo,
        'model/fb_resnets/Expert_ResNet.py',
        'official_mdcs_r50',
        stubs={'utils': stub})
    torch.manual_seed(0)
    official = nets.ResNet(
        nets.Bottleneck, [3, 4, 6, 3],
        num_experts=3,
        num_classes=1000,
        reduce_dimension=True,
        use_norm=True,
        returns_feat=True).double()
    ocode.randomise_bn(official)
    ours = build_mmlt(
        'configs/mdcs/mdcs_r50_4xb64-400e_imagenetlt.py').double()
    load_converted(official, ours, convert_expert_resnet)
    x = torch.randn(2, 3, 224, 224, dtype=torch.float64)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--ride-repo', help='RIDE-LongTailRecognition '
        'checkout')
    parser.add_argument('--mdcs-repo', help='MDCS checkout')
    parser.add_argument('--shike-repo', help='SHIKE checkout')
    parser.add_argument(
        '--checks',
        nargs='+',
        default=['ride_r32', 'ride_r50', 'mdcs_r32', 'mdcs_r50', 'shike_r32'])
    args = parser.parse_args(argv)
    sys.path.insert(0, REPO)
    import mmlt  # noqa: F401
    np.random.seed(0)
    checks = dict(
        ride_r32=lambda: check_ride_r32(args.ride_repo),
        ride_r50=lambda: check_ride_r50(args.ride_repo),
        mdcs_r32=lambda: check_mdcs_r32(args.mdcs_repo),
        mdcs_r50=lambda: check_mdcs_r50(args.mdcs_repo),
        shike_r32=lambda: check_shike_r32(args.shike_repo))
    ok = True
    for name in args.checks:
        method = name.split('_')[0]
        repo = getattr(args, f'{method}_repo')
        if not repo:
            raise SystemExit(f'{name} needs --{method}-repo')
        ok &= checks[name]()
    print('ALL EQUAL' if ok else 'SOME CHECKS FAILED')
    return ok


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
