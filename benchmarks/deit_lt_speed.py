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
import os.path as osp
import statistics
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
from interleaved import (Timed, add_common_args, cifar100_lt_counts,
                         cifar100_lt_labels, img_per_s, interleaved_rounds,
                         machine, print_table, ratio, save_json,
                         select_contenders, setup)

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
    add_common_args(parser, ALL, batch_size=64, repeats=5, warmup=1)
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='student input size (patch size = size / 8)')
    parser.add_argument('--repo', help='DeiT-LT checkout (val-iisc/DeiT-LT)')
    return parser.parse_args(argv)


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


def tiny_vit_kwargs(size):
    """The tiny student's arguments of DeiT's / timm's ViT classes (8x8
    patches of ``size``-px images, drop path 0.1)."""
    return dict(
        img_size=size,
        patch_size=size // 8,
        embed_dim=TINY['embed_dims'],
        depth=TINY['num_layers'],
        num_heads=TINY['num_heads'],
        mlp_ratio=4,
        qkv_bias=True,
        num_classes=CLASSES,
        drop_path_rate=0.1)


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
            norm_layer=partial(nn.LayerNorm, eps=1e-6),
            **tiny_vit_kwargs(size))
    finally:
        vit.PatchEmbedCustom.__init__.__defaults__ = defaults
    assert model.pos_embed.shape[1] == (8 * 8) + 2
    return model


def timm_student(size):
    from timm.models.deit import VisionTransformerDistilled
    model = VisionTransformerDistilled(**tiny_vit_kwargs(size))
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
    setup(args.threads)
    import warnings
    warnings.filterwarnings('ignore', module='torch.amp')
    names = select_contenders(args.contenders, ALL, args.repo, '--repo')
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    labels = cifar100_lt_labels(rng, args.batch_size)
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
        f'{machine()}, batch {args.batch_size} x {args.size} px (patch '
        f'{args.size // 8}), teacher at {TEACHER_SIZE} px',
        flush=True)
    times = interleaved_rounds(
        steps,
        args.repeats,
        args.warmup,
        args.batch_size,
        digits=1,
        parts=teachers)
    tmp.cleanup()
    med = statistics.median
    results = {}
    for name, t in times.items():
        wall, cpu = med(t['wall']), med(t['cpu'])
        teacher_wall, teacher_cpu = med(t['part_wall']), med(t['part_cpu'])
        results[name] = dict(
            img_per_s(args.batch_size, t['wall']),
            median_step_s=wall,
            median_teacher_s=teacher_wall,
            teacher_share=teacher_wall / wall,
            median_cpu_step_s=cpu,
            median_cpu_teacher_s=teacher_cpu,
            cpu_teacher_share=teacher_cpu / cpu)
    refs = ('official', 'official_timm')
    rows = []
    for name, res in results.items():
        rows.append((name, [
            res['median_img_s'], res['best_img_s'],
            *(ratio(results, name, ref) for ref in refs),
            1e3 * res['median_teacher_s'], res['teacher_share']
        ]))
    print('\nwall clock (rounds interleaved):')
    print_table([('median img/s', 13, '.1f'), ('best img/s', 11, '.1f'),
                 ('vs official', 12, '.2f'), ('vs timm', 8, '.2f'),
                 ('teacher ms', 11, '.0f'), ('share', 7, '.1%')],
                rows,
                name_width=15)
    rows = []
    for name, res in results.items():
        rows.append((name, [
            res['median_cpu_step_s'],
            args.batch_size / res['median_cpu_step_s'],
            *(ratio(results, name, ref, 'median_cpu_step_s', inverse=True)
              for ref in refs), res['median_cpu_teacher_s'],
            res['cpu_teacher_share']
        ]))
    print('\nCPU time of the process per step (insensitive to time-slicing by '
          'other processes; ratios: official CPU time / this one):')
    print_table([('CPU s/step', 13, '.2f'), ('img/CPU s', 11, '.1f'),
                 ('vs official', 12, '.2f'), ('vs timm', 8, '.2f'),
                 ('teacher s', 11, '.2f'), ('share', 7, '.1%')],
                rows,
                name_width=15)
    output = dict(throughput=results, args=vars(args))
    save_json(args.json, output)
    return output


if __name__ == '__main__':
    main()
