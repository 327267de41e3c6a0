# Copyright (c) mmlt contributors. All rights reserved.
"""FLOPs (multiply-adds) per image of a model built from a config.

For a multi-expert model (a backbone with ``forward_shared`` /
``forward_expert``: RIDE, MDCS, SHIKE) the count is split into the shared
part and each expert (its branch, fusion and classifier), and reported for
``1..K`` experts; with RIDE's router, the decisions taken on the way are
added (``k`` of them, ``K - 1`` when all experts run). ``--expert-usage``
(the ``experts/frac_k`` fractions that ``tools/test.py`` reports for a router
model) gives the routed average, as RIDE's ``utils/gflops.py``. Other models
are counted as a whole. Counts are mmengine ``FlopAnalyzer`` totals (MACs,
reported as "FLOPs" as in the RIDE paper); top-k and softmax are not
counted.

Example::

    python tools/analysis_tools/get_flops.py \\
        configs/ride/ride-3e-router_r32_1xb512-5e_cifar100lt-if100.py \\
        --shape 32 32 --expert-usage 0.41,0.09,0.50
"""
import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

REPO = Path(__file__).resolve().parents[2]


class _Shared(nn.Module):

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return self.backbone.forward_shared(x)


class _Expert(nn.Module):

    def __init__(self, backbone, head, index):
        super().__init__()
        self.backbone, self.head, self.index = backbone, head, index

    def forward(self, *taps):
        feat = self.backbone.forward_expert(taps, self.index)
        return self.head.expert_logits(feat, self.index)


class _RouterStep(nn.Module):

    def __init__(self, router, step):
        super().__init__()
        self.router, self.step = router, step

    def forward(self, feat, mean_logits):
        return self.router.forward_step(feat, mean_logits, self.step)


def _count(module: nn.Module, inputs) -> int:
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(module, inputs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return int(analyzer.total())


@torch.no_grad()
def model_flops(model: nn.Module, shape: Sequence[int]) -> Dict:
    """FLOPs per image of ``model`` on a ``(3, H, W)`` input.

    Returns:
        dict: ``total`` for a plain model; for a multi-expert model also
        ``shared``, ``experts`` (one count per expert), ``router_step`` and
        ``per_k`` (FLOPs with ``1..K`` experts).
    """
    model.eval()
    x = torch.zeros(1, 3, *shape)
    backbone = getattr(model, 'backbone', None)
    if not hasattr(backbone, 'forward_expert'):
        return dict(total=_count(_Tensor(model), (x, )))
    taps = backbone.forward_shared(x)
    num_experts = backbone.num_experts
    shared = _count(_Shared(backbone), (x, ))
    experts = [
        _count(_Expert(backbone, model.head, k), tuple(taps))
        for k in range(num_experts)
    ]
    router = getattr(model, 'router', None)
    step = 0
    if router is not None:
        feat = backbone.forward_expert(taps, 0)
        logits = model.head.expert_logits(feat, 0)
        step = _count(_RouterStep(router, 0), (feat, logits))
    per_k = [
        shared + sum(experts[:k]) + min(k, num_experts - 1) * step
        for k in range(1, num_experts + 1)
    ]
    return dict(
        total=per_k[-1],
        shared=shared,
        experts=experts,
        router_step=step,
        per_k=per_k)


class _Tensor(nn.Module):

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, mode='tensor')


def routed_flops(per_k: Sequence[float], usage: Sequence[float]) -> float:
    """``sum_k usage_k * per_k[k]``, usage = fractions of samples that used
    exactly ``1..K`` experts."""
    if len(usage) != len(per_k) or abs(sum(usage) - 1) > 1e-3:
        raise ValueError(f'expert usage needs {len(per_k)} fractions summing '
                         f'to 1, got {list(usage)}.')
    return float(sum(u * f for u, f in zip(usage, per_k)))


def build_model(config: str, overrides: Optional[dict] = None) -> nn.Module:
    """The config's model, without loading any weights."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmlt.registry import MODELS
    cfg = Config.fromfile(config)
    if overrides:
        cfg.merge_from_dict(overrides)
    model_cfg = cfg.model
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmpretrain')):
        return MODELS.build(model_cfg)


def main(argv: Optional[List[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[224, 224],
        help='input height and width')
    parser.add_argument(
        '--expert-usage',
        help='fractions of samples that used 1..K experts, '
        'e.g. 0.41,0.09,0.50')
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    import mmlt  # noqa: F401
    flops = model_flops(build_model(args.config), args.shape)
    print(f'{args.config}, input 3x{args.shape[0]}x{args.shape[1]}, '
          'GFLOPs (multiply-adds) per image:')
    if 'per_k' in flops:
        print(f'  shared part: {flops["shared"] / 1e9:.4f}')
        for k, f in enumerate(flops['per_k'], start=1):
            print(f'  {k} expert(s): {f / 1e9:.4f}')
        if flops['router_step']:
            print(f'  (router: {flops["router_step"]} per decision)')
        if args.expert_usage:
            usage = [float(v) for v in args.expert_usage.split(',')]
            flops['routed'] = routed_flops(flops['per_k'], usage)
            print(f'  routed, usage {usage}: {flops["routed"] / 1e9:.4f}')
    else:
        print(f'  {flops["total"] / 1e9:.4f}')
    return flops


if __name__ == '__main__':
    main()
