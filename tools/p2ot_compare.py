# Copyright (c) mmlt contributors. All rights reserved.
"""Faithfulness of mmlt's P²OT / SP²OT pieces to the official code.

Loads the official implementations from checkouts given on the command line
(nothing of them is in mmlt), feeds both sides the same inputs and prints
the largest absolute difference of the outputs:

* ``--ppot``: ``SemiCurrSinkhornKnopp`` of rhfeiyang/PPOT (P²OT, and its
  ``semi_use=False`` "POT" variant), including the warm start carried from
  one call to the next, against :func:`mmlt.ot.partial_ot_pseudo_labels`;
* ``--sppot``: ``MMOT`` over ``SemiCurrSinkhornKnopp_stable`` of
  rhfeiyang/SPPOT against :func:`mmlt.ot.semantic_partial_ot_pseudo_labels`
  for a fixed number of MM steps (the two stop rules differ: the official
  one ignores the KL and dummy terms of the objective);
* ``--dino``: DINO's ``vision_transformer.vit_base`` (facebookresearch/dino;
  random weights, or ``--dino-weights``) converted by
  ``tools/model_converters/dino_to_mmlt.py`` into mmlt's
  ``PartialFinetuneViT``, CLS features on the same images.

The official solvers call ``.cuda()``; on a machine without a GPU it is made
a no-op for the duration of the comparison. Example::

    python tools/p2ot_compare.py --ppot ../PPOT --sppot ../SPPOT \\
        --dino ../dino
"""
import argparse
import contextlib
import importlib.util
import os.path as osp
import sys
import types

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def cuda_as_cpu():
    """Make ``Tensor.cuda()`` / ``Module.cuda()`` no-ops without a GPU."""
    if torch.cuda.is_available():
        yield
        return
    tensor_cuda, module_cuda = torch.Tensor.cuda, torch.nn.Module.cuda
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    try:
        yield
    finally:
        torch.Tensor.cuda, torch.nn.Module.cuda = tensor_cuda, module_cuda


def logits_for(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    protos = torch.nn.functional.normalize(torch.randn(k, 32, generator=g))
    y = torch.randint(0, k, (n, ), generator=g)
    x = protos[y] + 0.4 * torch.randn(n, 32, generator=g)
    return 10 * torch.nn.functional.normalize(x) @ protos.T


def compare_ppot(root):
    from mmlt.ot import partial_ot_pseudo_labels
    official = load_module(
        osp.join(root, 'utils', 'sinkhorn_knopp.py'), 'ppot_sinkhorn_knopp')
    rows = []
    with cuda_as_cpu(), contextlib.redirect_stdout(None):
        for semi_use, name in ((True, 'P2OT'), (False, 'POT (no KL)')):
            for rho in (0.1, 0.5, 1.0):
                solver = official.SemiCurrSinkhornKnopp(
                    epsilon=0.1,
                    gamma=1.0,
                    stoperr=1e-13,
                    numItermax=200000,
                    rho=rho,
                    semi_use=semi_use)
                log_b = None
                for call in range(2):  # second call warm-started
                    z = logits_for(512, 20, seed=call)
                    ref = solver(z)
                    ours = partial_ot_pseudo_labels(
                        z,
                        rho,
                        tol=1e-12,
                        max_iter=200000,
                        relax_columns=semi_use,
                        init_log_b=log_b)
                    log_b = ours.log_b
                    rows.append((f'PPOT {name}', f'rho={rho} call {call}',
                                 float((ref - ours.plan).abs().max()),
                                 float(ref.abs().max())))
    return rows


def compare_sppot(root):
    from mmlt.ot import KNNGraph, semantic_partial_ot_pseudo_labels
    if 'ot' not in sys.modules:
        try:
            import ot  # noqa: F401  (SPPOT imports ot.optim)
        except ImportError:
            stub = types.ModuleType('ot')
            stub.optim = types.ModuleType('ot.optim')
            stub.optim.line_search_armijo = None
            sys.modules['ot'], sys.modules['ot.optim'] = stub, stub.optim
    official = load_module(
        osp.join(root, 'utils', 'sinkhorn_knopp.py'), 'sppot_sinkhorn_knopp')
    rows = []
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(300, 16, generator=g)
    dense = KNNGraph.from_features(feats, k=10).to_sparse().to_dense()
    z = logits_for(300, 10, seed=3)
    with cuda_as_cpu(), contextlib.redirect_stdout(None):
        for rho in (0.2, 0.6):
            for steps in (1, 3):
                inner = official.SemiCurrSinkhornKnopp_stable(
                    epsilon=0.1,
                    gamma=1.0,
                    stoperr=1e-12,
                    numItermax=100000,
                    rho=rho)
                mm = official.MMOT(
                    inner, lam1=20.0, numItermax=steps, stoperr=0.0)
                mm.set_rho(rho)  # lam1 = (1 - rho) * 20
                ref = mm(z.double(), dense.double())
                ours = semantic_partial_ot_pseudo_labels(
                    z,
                    dense,
                    rho, (1 - rho) * 20.0,
                    max_outer=steps,
                    outer_tol=0.0,
                    inner_tol=1e-12,
                    inner_max_iter=100000,
                    out_dtype=torch.float64)
                rows.append(('SPPOT MMOT', f'rho={rho} {steps} MM steps',
                             float((ref.double() - ours.plan).abs().max()),
                             float(ref.abs().max())))
    return rows


def compare_dino(root, weights=None):
    import mmlt  # noqa: F401
    from mmlt.registry import MODELS
    saved = sys.modules.pop('utils', None)
    sys.path.insert(0, root)  # vision_transformer.py imports DINO's utils
    try:
        vits = load_module(
            osp.join(root, 'vision_transformer.py'), 'dino_vision_transformer')
    finally:
        sys.path.remove(root)
        sys.modules.pop('utils', None)
        if saved is not None:
            sys.modules['utils'] = saved
    conv = load_module(
        osp.join(REPO, 'tools', 'model_converters', 'dino_to_mmlt.py'),
        'dino_to_mmlt')
    torch.manual_seed(0)
    dino = vits.vit_base(patch_size=16, num_classes=0)
    if weights:
        state = torch.load(weights, map_location='cpu', weights_only=True)
        dino.load_state_dict(conv.unwrap_dino_checkpoint(state), strict=True)
    ours = MODELS.build(
        dict(
            type='PartialFinetuneViT',
            arch='b',
            img_size=224,
            patch_size=16,
            out_type='cls_token',
            frozen_stages=11))
    ours.load_state_dict(
        conv.convert_dino_vit(conv.unwrap_dino_checkpoint(dino.state_dict())),
        strict=True)
    dino.eval()
    ours.eval()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = dino(x), ours(x)[0]
    return [('DINO ViT-B/16', 'CLS feature, 2 images',
             float((a - b).abs().max()), float(a.abs().max()))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ppot', help='checkout of rhfeiyang/PPOT')
    parser.add_argument('--sppot', help='checkout of rhfeiyang/SPPOT')
    parser.add_argument('--dino', help='checkout of facebookresearch/dino')
    parser.add_argument('--dino-weights', help='official DINO checkpoint')
    args = parser.parse_args()
    if not (args.ppot or args.sppot or args.dino):
        parser.error('give at least one of --ppot, --sppot, --dino')
    torch.set_num_threads(1)
    rows = []
    if args.ppot:
        rows += compare_ppot(args.ppot)
    if args.sppot:
        rows += compare_sppot(args.sppot)
    if args.dino:
        rows += compare_dino(args.dino, args.dino_weights)
    print(f'{"official":<20} {"case":<24} {"max |diff|":>11} '
          f'{"max |value|":>11}')
    for name, case, diff, scale in rows:
        print(f'{name:<20} {case:<24} {diff:>11.2e} {scale:>11.3g}')


if __name__ == '__main__':
    main()
