# Copyright (c) mmlt contributors. All rights reserved.
"""Check ``metafg_to_mmlt.py`` against the official MetaFormer code.

Builds the official model (``models/MetaFG.py`` / ``models/MetaFG_meta.py``
of a dqshuai/MetaFormer checkout given by path; needs ``timm``) with random
weights (random BN statistics, LayerNorm affines, biases and bias tables so
that every parameter matters), converts its state dict, loads it into
mmlt's model with ``strict=True`` and compares the logits on the same
random images (and meta) in eval mode. Then it loads the same weights at
``--other-size`` the official way (``utils.relative_bias_interpolate``) and
mmlt's way (bias grid resized, extra-token row kept) and reports how far
apart they are and where the official resize puts each bias.

Usage::

    python tools/model_converters/metafg_check_equivalence.py \\
        --official-repo ../MetaFormer --arch 0

Exit status 1 if a max |diff| at ``--img-size`` exceeds ``--tol``.
"""
import argparse
import importlib
import importlib.util
import os.path as osp
import sys
import types
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[2]
META_DIMS = [4, 3]


def _load_converter():
    path = Path(__file__).with_name('metafg_to_mmlt.py')
    spec = importlib.util.spec_from_file_location('metafg_to_mmlt', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_official(repo: str):
    """The official ``models.MetaFG``, ``models.MetaFG_meta`` and
    ``utils`` modules of a MetaFormer checkout."""
    repo = osp.abspath(repo)
    if not osp.isfile(osp.join(repo, 'models', 'MetaFG_meta.py')):
        raise FileNotFoundError(f'{repo} is not a MetaFormer checkout '
                                '(models/MetaFG_meta.py not found).')
    try:
        import timm  # noqa: F401
    except ImportError as e:
        raise ImportError('The official MetaFormer code needs timm '
                          '(pip install timm).') from e
    sys.path.insert(0, repo)
    try:
        vision = importlib.import_module('models.MetaFG')
        meta = importlib.import_module('models.MetaFG_meta')
        utils = importlib.import_module('utils')
    finally:
        sys.path.remove(repo)
    return vision, meta, utils


def build_official(modules,
                   arch: str,
                   img_size: int,
                   num_classes: int,
                   with_meta: bool,
                   drop_path_rate: float = 0.) -> nn.Module:
    vision, meta, _ = modules
    if with_meta:
        return getattr(meta, f'MetaFG_meta_{arch}')(
            num_classes=num_classes,
            img_size=img_size,
            extra_token_num=1 + len(META_DIMS),
            meta_dims=META_DIMS,
            drop_path_rate=drop_path_rate)
    return getattr(vision, f'MetaFG_{arch}')(
        num_classes=num_classes,
        img_size=img_size,
        drop_path_rate=drop_path_rate)


def build_mmlt(arch: str,
               img_size: int,
               num_classes: int,
               with_meta: bool,
               drop_path_rate: float = 0.) -> nn.Module:
    sys.path.insert(0, str(ROOT))
    from mmengine.registry import DefaultScope

    import mmlt  # noqa: F401
    from mmlt.models.backbones import MetaFG
    from mmlt.registry import MODELS
    c3, c4 = MetaFG.arch_zoo[arch]['attn_dims']
    cfg = dict(
        type='MetaFGClassifier' if with_meta else 'ImageClassifier',
        backbone=dict(
            type='MetaFG',
            arch=arch,
            img_size=img_size,
            meta_dims=META_DIMS if with_meta else (),
            drop_path_rate=drop_path_rate),
        head=dict(
            type='MetaFGHead',
            num_classes=num_classes,
            in_channels=c4,
            cls1_channels=c3))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)  # weights come from the official model


@torch.no_grad()
def randomize(model: nn.Module, seed: int = 0) -> None:
    """Make every parameter and statistic matter: random BN statistics,
    LayerNorm / BN affines, biases, bias tables and tokens."""
    g = torch.Generator().manual_seed(seed)

    def rand(t, scale):
        return torch.randn(t.shape, generator=g) * scale

    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(rand(m.running_mean, 0.1))
            m.running_var.copy_(
                torch.rand(m.running_var.shape, generator=g) + 0.5)
        if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            m.weight.copy_(1 + rand(m.weight, 0.1))
            m.bias.copy_(rand(m.bias, 0.1))
    for name, p in model.named_parameters():
        if name.endswith('relative_position_bias_table'):
            p.copy_(rand(p, 1.0))
        elif 'cls_token' in name:
            p.copy_(rand(p, 0.5))
        elif name.endswith('bias') and p.ndim == 1 and (p == 0).all():
            p.copy_(rand(p, 0.02))


def official_logits(model, x, meta):
    return model(x, meta) if meta is not None else model(x)


def mmlt_logits(model, x, meta):
    if meta is None:
        return model.head(model.extract_feat(x))
    return model.head(model.extract_feat(x, meta=meta))


def compare(modules, converter, args, with_meta: bool) -> float:
    torch.manual_seed(args.seed)
    official = build_official(modules, args.arch, args.img_size,
                              args.num_classes, with_meta)
    randomize(official, args.seed)
    official.eval()
    state = converter.convert_metafg(official.state_dict())
    ours = build_mmlt(args.arch, args.img_size, args.num_classes, with_meta)
    ours.load_state_dict(state, strict=True)
    ours.eval()

    g = torch.Generator().manual_seed(args.seed + 1)
    x = torch.randn(args.batch, 3, args.img_size, args.img_size, generator=g)
    meta = torch.randn(args.batch, sum(META_DIMS), generator=g) \
        if with_meta else None
    name = 'meta' if with_meta else 'vision'
    worst = 0.
    with torch.no_grad():
        checks = [('', meta)]
        if with_meta:
            checks.append((' (meta zeroed)', torch.zeros_like(meta)))
        for label, m in checks:
            a = official_logits(official, x, m)
            b = mmlt_logits(ours, x, m)
            diff = (a - b).abs().max().item()
            worst = max(worst, diff)
            print(f'MetaFG-{args.arch} {name}{label} @ {args.img_size}: '
                  f'max |logit diff| = {diff:.3e} (logit scale '
                  f'{a.abs().max().item():.3f})')

    if args.other_size and with_meta:
        other_resolution(modules, args, official.state_dict(), state)
    return worst


def other_resolution(modules, args, official_state, state):
    """Load the same weights at another input size both ways."""
    size = args.other_size
    cfg = types.SimpleNamespace(DATA=types.SimpleNamespace(IMG_SIZE=size))
    ckpt = {'model': {k: v.clone() for k, v in official_state.items()}}
    ckpt = modules[2].relative_bias_interpolate(ckpt, cfg)
    official = build_official(modules, args.arch, size, args.num_classes, True)
    missing, unexpected = official.load_state_dict(ckpt['model'], strict=False)
    official.eval()
    ours = build_mmlt(args.arch, size, args.num_classes, True)
    ours.load_state_dict(state, strict=True)
    ours.eval()

    g = torch.Generator().manual_seed(args.seed + 2)
    x = torch.randn(args.batch, 3, size, size, generator=g)
    meta = torch.randn(args.batch, sum(META_DIMS), generator=g)
    with torch.no_grad():
        a = official(x, meta)
        b = mmlt_logits(ours, x, meta)
    print(f'@ {size} (weights from {args.img_size}): official loader vs '
          f'mmlt: max |logit diff| = {(a - b).abs().max().item():.3e} '
          f'(logit scale {a.abs().max().item():.3f}); official '
          f'load_state_dict: {len(missing)} missing '
          f'(relative_position_index buffers recomputed), '
          f'{len(unexpected)} unexpected')

    # Where does each model put the bias of the grid offsets?
    off_attn = official.stage_3[0].attn
    our_attn = ours.backbone.stage3.blocks[0].attn
    h = size // 16
    n = h * h
    extra = 1 + len(META_DIMS)
    off_bias = off_attn.relative_position_bias_table[
        off_attn.relative_position_index.view(-1)].view(
            n + extra, n + extra, -1)
    our_bias = our_attn.relative_position_bias((h, h), extra).permute(1, 2, 0)
    grid_diff = (off_bias[extra:, extra:] - our_bias[extra:, extra:]).abs()
    extra_diff = (off_bias[:extra] - our_bias[:extra]).abs().max().item()
    print(f'  stage 3, block 0 bias @ {size}: extra-token entries differ by '
          f'{extra_diff:.3e}; patch-pair entries differ in '
          f'{(grid_diff.amax(-1) > 1e-6).float().mean().item() * 100:.1f}% '
          f'of the pairs (max {grid_diff.max().item():.3f}): the official '
          'loader resizes rows 1.. as the offset grid, one row off.')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--official-repo',
        required=True,
        help='path of a dqshuai/MetaFormer checkout')
    parser.add_argument('--arch', default='0', choices=['0', '1', '2'])
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument(
        '--other-size',
        type=int,
        default=384,
        help='second resolution to load the weights at '
        '(0 to skip)')
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--tol', type=float, default=1e-5)
    args = parser.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))

    modules = import_official(args.official_repo)
    converter = _load_converter()
    worst = max(
        compare(modules, converter, args, with_meta=False),
        compare(modules, converter, args, with_meta=True))
    ok = worst <= args.tol
    print(f'{"PASS" if ok else "FAIL"}: max |logit diff| {worst:.3e} at '
          f'{args.img_size} (tolerance {args.tol:g})')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
