# Copyright (c) mmlt contributors. All rights reserved.
"""DeiT-LT student training speed with the teacher in the loop: mmlt against
the official code (val-iisc/DeiT-LT), on the same in-memory batch.

Every contender runs one full training step per round, as its trainer does
it (no data loading): Mixup/CutMix of the batch, the frozen ResNet-32
teacher on the mixed batch (resized when its input size differs), the
student's forward, the DeiT-LT loss (label-smoothed soft-target CE on the
CLS token + hard distillation on the DIST token, alpha 0.5, before DRW),
backward and an AdamW step. Rounds are interleaved over the contenders so
that background load hits all of them alike. Reported: median and best
images/s and the ratios of the medians to the official code; the median
CPU time of the process per step and its ratios (insensitive to
time-slicing by other processes on a shared machine: with ``--threads 1``
the most robust measure of the work a step costs); the teacher's share of
the step (median teacher time / median step time, wall clock and CPU).

The student is DeiT-Tiny-sized (embed 192, 12 blocks, 3 heads, MLP 768,
drop path 0.1) on 32x32 inputs with 4x4 patches (64 patches + CLS + DIST):
16-px patches would leave 4 tokens at 32 px. The teacher is a ResNet-32 with
a cosine classifier at 32 px (no resize at this input size; ``--size 64``
gives a 64-px student, 8-px patches, whose batch is resized to 32 px for the
teacher). No model EMA on either side (the official ``--model-ema`` copy is
kept but never evaluated; mmlt's configs have none), float32, no AMP.

Contenders (``--contenders``):

- ``mmlt``: ``configs/deit_lt/deit-lt_deit-b16_2xb128-1200e_cifar100lt-
  if100.py`` with the tiny backbone (the config's type,
  ``FastDistilledVisionTransformer``; ``TeacherStudentClassifier.train_step``
  with the config's optim wrapper, without gradient accumulation): uint8
  batch -> data preprocessor (normalisation, Mixup/CutMix batch augment) ->
  ``FrozenTeacher`` (the config's LDAM-DRW + SAM ResNet-32 teacher, from a
  checkpoint of random weights) -> ``DeiTLTHead`` loss -> AdamW;
- ``official``: DeiT-LT's ``engine.train_one_epoch`` step (``--repo``, a
  checkout): its ``deit_models.DistilledVisionTransformer`` (built with its
  hard-coded 224-px / 16-px / 768-d patch embedding set to the tiny size,
  xformers attention in plain torch), timm's ``Mixup`` (0.8 / 1.0, switch
  0.5, smoothing 0.1), ``transforms.Resize(teacher_size, interpolation=3)``
  when the sizes differ, its ``teacher_models.resnet_cifar.resnet32``
  (``use_norm=True``) in eval mode, ``losses.DistillationLoss`` with
  ``SoftTargetCrossEntropy``, timm's ``create_optimizer`` (AdamW), the
  ``.item()`` calls of its logging; the batch comes normalised (its data
  loader's ``Normalize``);
- ``official_timm``: the same with timm's ``VisionTransformerDistilled``
  (fused attention) as the student, the model DeiT's code is built on.

Example (the run in configs/deit_lt/README.md)::

    python benchmarks/deit_lt_speed.py --repo /path/to/DeiT-LT \\
        --threads 2 --batch-size 64 --repeats 5
"""
import argparse
import json
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)
CONFIG = 'configs/deit_lt/deit-lt_deit-b16_2xb128-1200e_cifar100lt-if100.py'
ALL = ['official', 'official_timm', 'mmlt']
TINY = dict(
    embed_dims=192, num_layers=12, num_heads=3, feedforward_channels=768)
CLASSES = 100
TEACHER_SIZE = 32
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='student input size (patch size = size / 8)')
    parser.add_argument(
        '--repeats', type=int, default=5, help='timed rounds per contender')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        help='torch threads (0: keep the default)')
    parser.add_argument(
        '--contenders',
        nargs='+',
        default=None,
        help=f'subset of {ALL} (default: all available)')
    parser.add_argument('--repo', help='DeiT-LT checkout (val-iisc/DeiT-LT)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args(argv)


def cifar100_lt_counts():
    return [int(500 * 0.01**(c / 99)) for c in range(CLASSES)]


class Timed:
    """Calls ``fn``; adds the wall-clock and process CPU seconds it took to
    ``self.seconds`` and ``self.cpu_seconds``."""

    def __init__(self, fn):
        self.fn = fn
        self.seconds = self.cpu_seconds = 0.

    def __call__(self, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = self.fn(*args, **kwargs)
        self.seconds += time.perf_counter() - start
        self.cpu_seconds += time.process_time() - cpu
        return out

    def __getattr__(self, name):
        return getattr(self.fn, name)


def mmlt_step(images, labels, size, tmp):
    """``TeacherStudentClassifier.train_step`` of the CIFAR-100-LT config
    with the tiny student; returns ``(step, teacher timer)``."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample

    from mmlt.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    model_cfg = cfg.model
    model_cfg.backbone.update(arch=TINY, img_size=size, patch_size=size // 8)
    model_cfg.head.in_channels = TINY['embed_dims']
    # a teacher checkpoint of random weights, loaded as in training
    teacher = MODELS.build(Config.fromfile(model_cfg.teacher.config).model)
    ckpt = osp.join(tmp, 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    model_cfg.teacher.update(checkpoint=ckpt, input_size=TEACHER_SIZE)
    model_cfg.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(model_cfg)
    model.init_weights()
    for module in model.modules():
        if hasattr(module, 'set_class_counts'):
            module.set_class_counts(cifar100_lt_counts())
    optim_cfg = cfg.optim_wrapper
    optim_cfg.pop('accumulative_counts', None)  # one update per step
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    model.train()
    timer = model.teacher = Timed(model.teacher)
    data = dict(
        inputs=images,
        data_samples=[DataSample().set_gt_label(int(t)) for t in labels])

    def step():
        losses = model.train_step(data, optim_wrapper)
        return float(losses['loss'].detach())

    return step, timer


def official_student(off, size):
    """DeiT-LT's ``DistilledVisionTransformer`` at the tiny size: its patch
    embedding (``PatchEmbedCustom()``, built without arguments) defaults to
    224 px, 16-px patches and 768 channels, set here while it is built."""
    from functools import partial
    vit = sys.modules['official_deit_lt_models.vision_transformer']
    defaults = vit.PatchEmbedCustom.__init__.__defaults__
    vit.PatchEmbedCustom.__init__.__defaults__ = (size, size // 8, 3,
                                                  TINY['embed_dims'])
    try:
        model = off.models.deit.DistilledVisionTransformer(
            img_size=size,
            patch_size=size // 8,
            embed_dim=TINY['embed_dims'],
            depth=TINY['num_layers'],
            num_heads=TINY['num_heads'],
            mlp_ratio=4,
            qkv_bias=True,
            norm_layer=partial(nn.LayerNorm, eps=1e-6),
            num_classes=CLASSES,
            drop_path_rate=0.1)
    finally:
        vit.PatchEmbedCustom.__init__.__defaults__ = defaults
    assert model.pos_embed.shape[1] == (8 * 8) + 2
    return model


def timm_student(size):
    from timm.models.deit import VisionTransformerDistilled
    model = VisionTransformerDistilled(
        img_size=size,
        patch_size=size // 8,
        embed_dim=TINY['embed_dims'],
        depth=TINY['num_layers'],
        num_heads=TINY['num_heads'],
        mlp_ratio=4,
        qkv_bias=True,
        num_classes=CLASSES,
        drop_path_rate=0.1)
    model.set_distilled_training(True)  # (cls, dist) logits in training
    return model


def official_step(off, repo, student, images, labels, size):
    """One step of DeiT-LT's ``engine.train_one_epoch`` (``accum_iter`` 1,
    before DRW, hard distillation); returns ``(step, teacher timer)``."""
    from timm.data import Mixup
    from timm.loss import SoftTargetCrossEntropy
    from timm.optim import create_optimizer
    from torchvision import transforms

    from mmlt.testing import cuda_as_noop, load_official
    args = off.arguments.get_args_parser().parse_args([
        '--model', 'deit_tiny_distilled_patch16_224', '--batch-size',
        str(len(images)), '--input-size',
        str(size), '--teacher-size',
        str(TEACHER_SIZE), '--distillation-type', 'hard'
    ])
    args.nb_classes, args.map_targets = CLASSES, False
    args.lr = args.lr * args.batch_size / 512.0  # main.py, 1 process
    nets = load_official(repo, 'teacher_models/resnet_cifar.py',
                         'bench_official_deit_lt_teacher')
    teacher = nets.resnet32(num_classes=CLASSES, use_norm=True)
    teacher.eval()
    timer = Timed(teacher)
    beta = args.beta
    weights = (1.0 - beta) / (1.0 - np.power(beta, cifar100_lt_counts()))
    weights = torch.FloatTensor(weights / weights.sum() * CLASSES)
    criterion = off.losses.DistillationLoss(
        SoftTargetCrossEntropy(),
        timer,
        args.distillation_type,
        args.distillation_alpha,
        args.distillation_tau,
        args.input_size,
        args.teacher_size,
        False,
        weights,
        args=args)
    mixup_fn = Mixup(
        mixup_alpha=args.mixup,
        cutmix_alpha=args.cutmix,
        cutmix_minmax=args.cutmix_minmax,
        prob=args.mixup_prob,
        switch_prob=args.mixup_switch_prob,
        mode=args.mixup_mode,
        label_smoothing=args.smoothing,
        num_classes=CLASSES)
    optimizer = create_optimizer(args, student)
    student.train()
    # the data loader's ToTensor + Normalize (ImageNet mean/std)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    normalised = (images.float() - mean) / std
    resize = transforms.Resize(args.teacher_size, interpolation=3)

    def step():
        samples, targets = mixup_fn(normalised.clone(), labels)
        if args.input_size != args.teacher_size:
            samples_teacher = resize(samples)
        else:
            samples_teacher = samples
        outputs = student(samples)
        with cuda_as_noop():  # distillation_targets.cuda()
            loss, cls_loss, dst_loss = criterion(samples_teacher, outputs,
                                                 targets)
        values = [loss.item(), cls_loss.item(), dst_loss.item()]
        if len(outputs) == 4:  # the official model's cos(CLS, DIST)
            values.append(torch.mean(outputs[2]).item())
        loss.backward()  # NativeScaler without CUDA: backward + step
        optimizer.step()
        optimizer.zero_grad()
        return values[0]

    return step, timer


def main(argv=None):
    args = parse_args(argv)
    if args.size % 8:
        raise SystemExit('--size must be a multiple of 8 (8x8 patches)')
    if args.threads:
        torch.set_num_threads(args.threads)
    import logging
    import warnings

    from mmengine.logging import MMLogger

    import mmlt  # noqa: F401  (registers the components)
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    warnings.filterwarnings('ignore', module='torch.amp')
    names = args.contenders or [
        n for n in ALL if args.repo or not n.startswith('official')
    ]
    unknown = set(names) - set(ALL)
    if unknown:
        raise SystemExit(f'unknown contenders {sorted(unknown)}; '
                         f'choose from {ALL}')
    if any(n.startswith('official') for n in names) and not args.repo:
        raise SystemExit('the official contenders need --repo')
    torch.manual_seed(args.seed)
    counts = np.asarray(cifar100_lt_counts())
    rng = np.random.default_rng(args.seed)
    labels = torch.as_tensor(
        rng.choice(CLASSES, size=args.batch_size, p=counts / counts.sum()))
    images = torch.as_tensor(
        rng.integers(
            0, 256, (args.batch_size, 3, args.size, args.size),
            dtype=np.uint8))
    off = None
    if args.repo:
        from mmlt.testing import load_official_deit_lt
        off = load_official_deit_lt(args.repo)
    tmp = tempfile.TemporaryDirectory()
    steps, teachers = {}, {}
    for name in names:
        torch.manual_seed(args.seed)
        np.random.seed(args.seed)  # timm's Mixup draws from numpy
        if name == 'mmlt':
            step, timer = mmlt_step(images, labels, args.size, tmp.name)
        else:
            student = official_student(off, args.size) \
                if name == 'official' else timm_student(args.size)
            step, timer = official_step(off, args.repo, student, images,
                                        labels, args.size)
        steps[name], teachers[name] = step, timer
    print(
        f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
        f'{platform.processor() or platform.machine()}, batch '
        f'{args.batch_size} x {args.size} px (patch {args.size // 8}), '
        f'teacher at {TEACHER_SIZE} px',
        flush=True)
    for name, step in steps.items():
        for _ in range(args.warmup):
            step()
    wall = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    teacher_wall = {name: [] for name in steps}
    teacher_cpu = {name: [] for name in steps}
    for r in range(args.repeats):
        for name, step in steps.items():
            timer = Timed(step)
            teachers[name].seconds = teachers[name].cpu_seconds = 0.
            timer()
            wall[name].append(timer.seconds)
            cpu[name].append(timer.cpu_seconds)
            teacher_wall[name].append(teachers[name].seconds)
            teacher_cpu[name].append(teachers[name].cpu_seconds)
        print(
            f'round {r + 1}/{args.repeats}: ' +
            ', '.join(f'{n} {args.batch_size / t[-1]:.1f}'
                      for n, t in wall.items()),
            flush=True)
    tmp.cleanup()
    med = statistics.median
    results = {
        name:
        dict(
            median_img_s=args.batch_size / med(wall[name]),
            best_img_s=args.batch_size / min(wall[name]),
            median_step_s=med(wall[name]),
            median_teacher_s=med(teacher_wall[name]),
            teacher_share=med(teacher_wall[name]) / med(wall[name]),
            median_cpu_step_s=med(cpu[name]),
            median_cpu_teacher_s=med(teacher_cpu[name]),
            cpu_teacher_share=med(teacher_cpu[name]) / med(cpu[name]))
        for name in steps
    }

    def ratios(res, key, inverse=False):
        out = []
        for ref in ('official', 'official_timm'):
            if ref not in results:
                out.append(float('nan'))
                continue
            value = res[key] / results[ref][key]
            out.append(1 / value if inverse else value)
        return out

    print('\nwall clock (rounds interleaved):')
    print(f'{"contender":<15}{"median img/s":>13}{"best img/s":>11}'
          f'{"vs official":>12}{"vs timm":>8}{"teacher ms":>11}'
          f'{"share":>7}')
    for name, res in results.items():
        vs_off, vs_timm = ratios(res, 'median_img_s')
        print(f'{name:<15}{res["median_img_s"]:>13.1f}'
              f'{res["best_img_s"]:>11.1f}{vs_off:>12.2f}{vs_timm:>8.2f}'
              f'{1e3 * res["median_teacher_s"]:>11.0f}'
              f'{res["teacher_share"]:>7.1%}')
    print('\nCPU time of the process per step (insensitive to time-slicing by '
          'other processes; ratios: official CPU time / this one):')
    print(f'{"contender":<15}{"CPU s/step":>13}{"img/CPU s":>11}'
          f'{"vs official":>12}{"vs timm":>8}{"teacher s":>11}'
          f'{"share":>7}')
    for name, res in results.items():
        vs_off, vs_timm = ratios(res, 'median_cpu_step_s', inverse=True)
        print(f'{name:<15}{res["median_cpu_step_s"]:>13.2f}'
              f'{args.batch_size / res["median_cpu_step_s"]:>11.1f}'
              f'{vs_off:>12.2f}{vs_timm:>8.2f}'
              f'{res["median_cpu_teacher_s"]:>11.2f}'
              f'{res["cpu_teacher_share"]:>7.1%}')
    output = dict(throughput=results, args=vars(args))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(output, f, indent=1)
    return output


if __name__ == '__main__':
    main()
