# Copyright (c) mmlt contributors. All rights reserved.
"""Training throughput of mmlt's MetaFG against the official MetaFormer code.

MetaFG-0 with the iNaturalist meta (``meta_dims=(4, 3)``, 2 meta tokens),
drop path 0.1, in training mode: forward, cross-entropy, backward (no
optimizer step) on the same random batch, the same weights (converted with
``tools/model_converters/metafg_to_mmlt.py``) and the same meta, the two
implementations interleaved round by round in one process. Prints images/s
(median over rounds), the ratio mmlt / official, parameter counts and
FLOPs (mmengine's ``FlopAnalyzer``, which counts the attention matmuls too,
for both models), next to the official README (28M params, 4.6 GFLOPs).

Usage::

    python benchmarks/metafg_speed.py --official-repo ../MetaFormer \\
        --threads 2 --batch 8 --rounds 5

The official MBConv's Swish backward reads ``ctx.saved_variables``, which
recent PyTorch removed; when it is missing the script aliases it to
``ctx.saved_tensors`` (same tensors) before running the official model.
"""
import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _MMLTForward(nn.Module):
    """``(images, meta) -> logits`` of an mmlt MetaFG classifier."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, meta):
        return self.model.head(self.model.extract_feat(x, meta=meta))


def _step(model, x, meta, target):
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x, meta), target)
    loss.backward()


def _flops(model, x, meta):
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(model, (x, meta))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total() / 1e9, dict(analyzer.unsupported_ops())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official-repo', required=True)
    parser.add_argument('--arch', default='0', choices=['0', '1', '2'])
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--num-classes', type=int, default=1000)
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    check = _load(
        ROOT / 'tools' / 'model_converters' / 'metafg_check_equivalence.py',
        'metafg_check_equivalence')
    modules = check.import_official(args.official_repo)
    ctx_cls = torch.autograd.function.FunctionCtx
    patched = not hasattr(ctx_cls, 'saved_variables')
    if patched:
        ctx_cls.saved_variables = property(lambda self: self.saved_tensors)

    official = check.build_official(
        modules,
        args.arch,
        args.img_size,
        args.num_classes,
        True,
        drop_path_rate=0.1)
    state = check._load_converter().convert_metafg(official.state_dict())
    ours = check.build_mmlt(
        args.arch, args.img_size, args.num_classes, True, drop_path_rate=0.1)
    ours.load_state_dict(state, strict=True)
    ours = _MMLTForward(ours)
    official.train()
    ours.train()

    g = torch.Generator().manual_seed(1)
    x = torch.randn(args.batch, 3, args.img_size, args.img_size, generator=g)
    meta = torch.randn(args.batch, 7, generator=g)
    target = torch.randint(0, args.num_classes, (args.batch, ), generator=g)

    models = dict(official=official, mmlt=ours)
    for model in models.values():  # warm-up
        _step(model, x, meta, target)
    times = {name: [] for name in models}
    for r in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            _step(model, x, meta, target)
            times[name].append(time.perf_counter() - start)
        print(f'round {r + 1}/{args.rounds}: ' +
              ', '.join(f'{n} {args.batch / t[-1]:.2f} img/s'
                        for n, t in times.items()))

    result = dict(
        arch=args.arch,
        img_size=args.img_size,
        batch=args.batch,
        threads=args.threads,
        rounds=args.rounds,
        torch=torch.__version__,
        saved_variables_alias=patched)
    for name, model in models.items():
        ips = args.batch / statistics.median(times[name])
        result[f'{name}_img_per_s'] = round(ips, 3)
        result[f'{name}_params_M'] = round(
            sum(p.numel() for p in model.parameters()) / 1e6, 2)
    result['ratio_mmlt_over_official'] = round(
        result['mmlt_img_per_s'] / result['official_img_per_s'], 3)

    # FLOPs of one 224 image, eval mode, with the pure-python attention so
    # that the attention matmuls are traced (same math as SDPA).
    from mmpretrain.models.utils.attention import \
        scaled_dot_product_attention_pyimpl
    for m in ours.modules():
        if hasattr(m, 'scaled_dot_product_attention'):
            m.scaled_dot_product_attention = \
                scaled_dot_product_attention_pyimpl
    x1, meta1 = x[:1], meta[:1]
    for name, model in models.items():
        model.eval()
        gflops, unsupported = _flops(model, x1, meta1)
        result[f'{name}_gflops'] = round(gflops, 3)
        result[f'{name}_unsupported_ops'] = unsupported
    result['readme'] = dict(params_M=28, gflops=4.6)
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
