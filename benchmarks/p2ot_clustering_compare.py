# Copyright (c) mmlt contributors. All rights reserved.
"""Imbalanced clustering on CPU: P²OT vs SP²OT vs UOT vs balanced Sinkhorn
pseudo-labels vs k-means, same features, same budget, on CIFAR-10-LT IF100
(``--dataset cifar10lt``) or Tiny-ImageNet-200-LT IF100
(``--dataset tinyimagenetlt``).

Features: a ResNet-32 (mmlt's ``ResNet32Cifar``) trained here *with labels
on a disjoint split*: a seeded random subset (``--backbone-images``, default
15,000) of the 37,594 CIFAR-10 training images that are **not** in the
CIFAR-10-LT training subset, ``--backbone-epochs`` epochs (SGD, one-cycle
0.1). It never sees an airplane (class 0: all 5,000 belong to the LT subset)
and mostly sees the LT tail classes; the LT subset and the test set are never
used to train it. The backbone is then frozen; its global-average-pooled
64-d features of ``--views`` random crops/flips of every LT training image
(and of the clean images) are computed once.

Tiny-ImageNet-200-LT (``../shared/data/tiny-imagenet-200-lt.tgz``: 21,549
train images, 500 ... 5 per class, classes already indexed by descending
count; the balanced 10,000-image val split is the test set): the **same**
CIFAR-10 backbone (trained on CIFAR-10 images only, so disjoint from this
data set; ``--backbone-dir`` points at the CIFAR run's work dir, trained
there first if missing), applied to the images resized to 32 px. No
Tiny-ImageNet label is used before the evaluation. K = 200.

Clustering (every method gets the same features, head initialisation,
optimiser, schedule, batch and number of steps): a :class:`CosineClusterHead`
(K unit prototypes, logits x10) trained with the swapped two-view soft
cross-entropy on the pseudo-labels of

- ``p2ot``: :class:`PartialOTPseudoLabeler`, rho 0.1 -> 1 (sigmoid ramp per
  step), 5,120-row logits bank from epoch 1 (the P²OT recipe);
- ``sp2ot``: :class:`SemanticPartialOTPseudoLabeler` (kNN graph k=20,
  sigma=2 on the frozen clean features, lam1 = (1 - rho) 1000), bank from
  epoch 0;
- ``uot``: P²OT with rho fixed to 1 (KL-relaxed cluster sizes, no
  progressive selection; the paper's UOT ablation);
- ``sinkhorn``: plain balanced Sinkhorn (rho = 1, exact uniform cluster
  sizes; SeLa / SwAV pseudo-labels);

plus ``kmeans`` (spherical k-means, k-means++ seeding, on the clean
features). Adam 5e-4, cosine to 5e-7 per epoch, batch 512, ``--epochs``
epochs; the last epoch is reported. Metrics (:class:`ClusteringMetric`) on
the balanced test set and on the LT training set: ACC (mean per-class
accuracy after Hungarian matching), NMI, ARI, macro-F1, head / medium /
tail = the first 30 % / middle 40 % / last 30 % of the classes (the
paper's split; classes are indexed by descending training count).

The runs reported in ``configs/p2ot/README.md``::

    python benchmarks/p2ot_clustering_compare.py --seeds 0 1 2
    python benchmarks/p2ot_clustering_compare.py --dataset tinyimagenetlt \\
        --seeds 0 1 2
"""
import argparse
import json
import logging
import os
import os.path as osp
import tarfile
import time
from pathlib import Path

import mmcv
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401  (registers the mmlt components)
from mmlt.datasets import long_tailed_counts, select_long_tailed
from mmlt.engine.hooks import RhoRampHook
from mmlt.evaluation import ClusteringMetric
from mmlt.models.backbones import ResNet32Cifar
from mmlt.models.heads import CosineClusterHead
from mmlt.ot import KNNGraph, partial_ot_pseudo_labels

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(
    os.environ.get('MMLT_SHARED_DATA', REPO.parent / 'shared' / 'data'))
ARCHIVE = SHARED / 'cifar10-jpg.tgz'
TINY_ARCHIVE = SHARED / 'tiny-imagenet-200-lt.tgz'
CACHE = Path(
    os.environ.get('MMLT_TEST_CACHE',
                   Path.home() / '.cache' / 'mmlt' / 'test-data'))
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
MEAN = torch.tensor([125.307, 122.961, 113.8575]).view(1, 3, 1, 1)
STD = torch.tensor([51.5865, 50.847, 51.255]).view(1, 3, 1, 1)
METHODS = ('p2ot', 'sp2ot', 'uot', 'sinkhorn', 'kmeans')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--dataset',
        choices=['cifar10lt', 'tinyimagenetlt'],
        default='cifar10lt')
    parser.add_argument('--data-root', help='extracted cifar10/ tree')
    parser.add_argument(
        '--tiny-root', help='extracted tiny-imagenet-200-lt/ tree')
    parser.add_argument(
        '--methods', nargs='+', default=list(METHODS), choices=METHODS)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--epochs', type=int, default=50)
    parser.add_argument('--backbone-epochs', type=int, default=3)
    parser.add_argument(
        '--backbone-images',
        type=int,
        default=15000,
        help='train the backbone on this many images of the disjoint split '
        '(seeded random subset; 0 = all 37,594)')
    parser.add_argument(
        '--views',
        type=int,
        default=4,
        help='precomputed augmented views per image')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--work-dir',
        help='default: work_dirs/p2ot_<dataset>_compare (features, results)')
    parser.add_argument(
        '--backbone-dir',
        default='work_dirs/p2ot_cifar10lt_compare',
        help='tinyimagenetlt: where the CIFAR-10 backbone is cached (the '
        'cifar10lt work dir)')
    parser.add_argument(
        '--diagnose',
        action='store_true',
        help='also print how confident each trained head is and how '
        'imbalanced a rho = 1 P²OT plan on its training logits is')
    parser.add_argument(
        '--results',
        default='results.json',
        help='file name of the results in the work dir')
    args = parser.parse_args(argv)
    if args.work_dir is None:
        args.work_dir = f'work_dirs/p2ot_{args.dataset}_compare'
    return args


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


def extracted(archive: Path, top: str, data_root=None, flag='--data-root'):
    """``data_root`` if given, else ``top/`` extracted once from ``archive``
    into the cache (a marker file records a complete extraction)."""
    if data_root:
        return data_root
    out, marker = CACHE / top, CACHE / f'.{top}.done'
    if not marker.exists():
        if not archive.exists():
            raise FileNotFoundError(
                f'{archive} not found; pass {flag} pointing at an extracted '
                f'{top}/ tree.')
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter='data')
        marker.touch()
    return str(out)


def load_list(root, ann_file, cache, size=32):
    """The images of a ``path label`` list as uint8 (N, 3, size, size) RGB
    (area-resized; grayscale files become 3 channels) + labels."""
    if osp.isfile(cache):
        data = np.load(cache)
        return torch.from_numpy(data['x']), data['y']
    images, labels = [], []
    with open(osp.join(root, ann_file)) as f:
        for line in f:
            if not line.strip():
                continue
            path, label = line.rsplit(maxsplit=1)
            img = mmcv.imread(osp.join(root, path), channel_order='rgb')
            images.append(
                mmcv.imresize(img, (size, size), interpolation='area'))
            labels.append(int(label))
    x = np.stack(images).transpose(0, 3, 1, 2).copy()
    y = np.array(labels, dtype=np.int64)
    np.savez(cache, x=x, y=y)
    return torch.from_numpy(x), y


def load_split(root, split, cache):
    """All images of a split as uint8 (N, 3, 32, 32) RGB + labels, in the
    CIFAR10LT folder order (classes in label order, sorted file names)."""
    if osp.isfile(cache):
        data = np.load(cache)
        return torch.from_numpy(data['x']), data['y']
    images, labels = [], []
    for label, name in enumerate(CLASSES):
        folder = osp.join(root, split, name)
        for f in sorted(os.listdir(folder)):
            images.append(
                mmcv.imread(osp.join(folder, f), channel_order='rgb'))
            labels.append(label)
    x = np.stack(images).transpose(0, 3, 1, 2).copy()
    y = np.array(labels, dtype=np.int64)
    np.savez(cache, x=x, y=y)
    return torch.from_numpy(x), y


def augment(x, gen):
    """Random 32-px crop of the 4-pixel zero-padded image and a random
    horizontal flip, per image of a uint8 batch."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dx = torch.randint(0, 9, (n, ), generator=gen)
    dy = torch.randint(0, 9, (n, ), generator=gen)
    rows = (dy[:, None] + torch.arange(32))[:, :, None]
    cols = (dx[:, None] + torch.arange(32))[:, None, :]
    out = padded[torch.arange(n)[:, None, None, None],
                 torch.arange(3)[None, :, None, None], rows[:, None],
                 cols[:, None]]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def normalise(x):
    return (x.float() - MEAN) / STD


class Classifier(nn.Module):

    def __init__(self):
        super().__init__()
        # channels-last convolutions are slower on this CPU build
        self.backbone = ResNet32Cifar(
            depth=32, shortcut='A', channels_last=False)
        self.backbone.init_weights()
        self.fc = nn.Linear(64, 10)

    def features(self, x):
        return self.backbone(x)[-1].mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


def train_backbone(x, y, epochs, path):
    """ResNet-32 supervised on the disjoint complement split (cached)."""
    model = Classifier()
    if osp.isfile(path):
        state = torch.load(path, map_location='cpu', weights_only=True)
        model.backbone.load_state_dict({
            k[len('backbone.'):]: v
            for k, v in state['state_dict'].items()
        })
        log(f'backbone loaded from {path}')
        return model
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    batch = 128
    steps = epochs * (len(y) // batch)
    opt = torch.optim.SGD(
        model.parameters(),
        lr=0.1,
        momentum=0.9,
        weight_decay=5e-4,
        nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.1, total_steps=steps, pct_start=0.15)
    yt = torch.from_numpy(y)
    model.train()
    step = 0
    for epoch in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        correct = total = 0
        t0 = time.time()
        for i in range(len(y) // batch):
            idx = perm[i * batch:(i + 1) * batch]
            logits = model(normalise(augment(x[idx], gen)))
            loss = F.cross_entropy(logits, yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            correct += int((logits.argmax(1) == yt[idx]).sum())
            total += len(idx)
        log(f'backbone epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, '
            f'train acc {100 * correct / total:.1f}% ({time.time() - t0:.0f}'
            ' s)')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in model.backbone.state_dict().items()
        }), path)
    return model


@torch.no_grad()
def extract(model, x, views, gen, batch=500):
    """(views, N, 64) features of random augmentations (views > 0) or the
    clean images (views = 0)."""
    model.eval()
    out = []
    for v in range(max(views, 1)):
        feats = []
        for i in range(0, len(x), batch):
            xb = x[i:i + batch]
            if views:
                xb = augment(xb, gen)
            feats.append(model.features(normalise(xb)))
        out.append(torch.cat(feats))
    return torch.stack(out)


def spherical_kmeans(feats, k, seed, iters=100):
    """Cosine k-means with k-means++ seeding; returns the centroids."""
    gen = torch.Generator().manual_seed(seed)
    x = F.normalize(feats, dim=1)
    centres = [x[torch.randint(0, len(x), (1, ), generator=gen)]]
    for _ in range(1, k):
        d = (1 - x @ torch.cat(centres).T).clamp_min(0).min(1).values
        centres.append(x[torch.multinomial(d**2 + 1e-12, 1, generator=gen)])
    c = torch.cat(centres)
    for _ in range(iters):
        assign = (x @ c.T).argmax(1)
        new = torch.zeros_like(c).index_add_(0, assign, x)
        empty = new.norm(dim=1) == 0
        new[empty] = c[empty]
        new = F.normalize(new, dim=1)
        if torch.allclose(new, c):
            break
        c = new
    return c


def labeler_cfg(method):
    base = dict(bank_size=5120, epsilon=0.1, lam=1.0)
    if method == 'p2ot':
        return dict(type='PartialOTPseudoLabeler', tol=1e-6, **base)
    if method == 'sp2ot':
        return dict(
            type='SemanticPartialOTPseudoLabeler',
            tol=1e-10,
            lam_init=1000.,
            **base)
    if method == 'uot':
        return dict(type='PartialOTPseudoLabeler', tol=1e-6, rho=1.0, **base)
    return dict(
        type='PartialOTPseudoLabeler',
        tol=1e-6,
        rho=1.0,
        relax_columns=False,
        **base)


def train_head(method, train_views, clean_train, seed, epochs, k=10):
    """The clustering head on frozen features with one pseudo-labeler."""
    torch.manual_seed(seed)
    head = CosineClusterHead(64, k, pseudo_labeler=labeler_cfg(method))
    labeler = head.pseudo_labeler
    if method == 'sp2ot':
        labeler.set_graph(KNNGraph.from_features(clean_train, k=20, sigma=2.0))
    ramp = RhoRampHook(
        strategy='sigmoid' if method in ('p2ot', 'sp2ot') else 'fixed',
        rho_start=0.1 if method in ('p2ot', 'sp2ot') else 1.)
    bank_epoch = 0 if method == 'sp2ot' else 1
    opt = torch.optim.Adam([head.prototypes], lr=5e-4, weight_decay=0.)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=epochs, eta_min=5e-7)
    gen = torch.Generator().manual_seed(seed)
    n, batch = clean_train.shape[0], 512
    iters = n // batch
    total = epochs * iters
    num_views = train_views.shape[0]
    step = 0
    t0 = time.time()
    for epoch in range(epochs):
        if epoch == bank_epoch:  # eval-mode logits of 10 batches
            perm = torch.randperm(n, generator=gen)
            for i in range(labeler.bank.size // batch):
                idx = perm[i * batch:(i + 1) * batch]
                with torch.no_grad():
                    labeler.bank.enqueue(head(train_views[0, idx]), idx)
        perm = torch.randperm(n, generator=gen)
        losses = []
        for i in range(iters):
            idx = perm[i * batch:(i + 1) * batch]
            labeler.set_rho(ramp.rho_at(step, total))
            v = torch.rand(2, len(idx), generator=gen).mul(num_views).long()
            v[1] = (v[0] + 1 + v[1] % (num_views - 1)) % num_views
            feats = [train_views[v[j], idx] for j in range(2)]
            samples = [
                DataSample(metainfo=dict(sample_idx=int(s))) for s in idx
            ]
            loss = head.loss(feats, samples)['loss_cluster']
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            step += 1
        sched.step()
        if (epoch + 1) % 10 == 0 or epoch == 0:
            log(f'  {method} seed {seed} epoch {epoch + 1}/{epochs}: loss '
                f'{np.mean(losses):.4f}, rho {float(labeler.rho):.3f}, last '
                f'solve {int(labeler.last_n_iter.max())} it '
                f'({time.time() - t0:.0f} s)')
    return head


@torch.no_grad()
def diagnose(head, clean_train):
    """Confidence of the head and imbalance of P²OT plans on its logits."""
    z = head(clean_train)[0]
    top2 = z.topk(2, 1).values
    out = dict(
        mean_max_prob=float(z.softmax(1).max(1).values.mean()),
        mean_logit_gap=float((top2[:, 0] - top2[:, 1]).mean()))
    for scale in (1, 10):
        sizes = partial_ot_pseudo_labels(z * scale, 1.0).plan.sum(0)
        out[f'plan_sizes_x{scale}'] = sorted([round(float(v)) for v in sizes],
                                             reverse=True)
    return out


def evaluate(pred, gt, k=10):
    pred, gt = np.asarray(pred), np.asarray(gt)
    metric = ClusteringMetric(num_classes=k)
    res = metric.compute(pred, gt)
    res['sizes'] = np.bincount(pred, minlength=k).tolist()
    res['matching'] = metric.matching.tolist()
    mapped = metric.matching[pred]
    res['class_acc'] = [
        round(100 * float((mapped[gt == c] == c).mean()), 2) for c in range(k)
    ]
    return res


def _sizes(sizes):
    if len(sizes) <= 20:
        return sizes
    s = sorted(sizes, reverse=True)
    return (f'largest {s[:5]}, smallest {s[-5:]}, '
            f'{sum(v == 0 for v in s)} empty')


def prepare_data(args):
    """The frozen backbone and the LT train / balanced test images."""
    root = extracted(ARCHIVE, 'cifar10', args.data_root)
    backbone_dir = args.work_dir if args.dataset == 'cifar10lt' else \
        args.backbone_dir
    os.makedirs(backbone_dir, exist_ok=True)
    x_all, y_all = load_split(root, 'train', osp.join(backbone_dir,
                                                      'train.npz'))
    counts = long_tailed_counts(10, 5000, 100)
    lt = select_long_tailed(y_all, counts, 'shuffle', 0)  # = CIFAR10LT
    rest = np.setdiff1d(np.arange(len(y_all)), lt)
    if 0 < args.backbone_images < len(rest):
        rest = np.sort(
            np.random.RandomState(0).choice(
                rest, args.backbone_images, replace=False))
    log(f'backbone: CIFAR-10 images not in CIFAR-10-LT IF100 '
        f'({len(rest)} images '
        f'{np.bincount(y_all[rest], minlength=10).tolist()})')
    model = train_backbone(
        x_all[rest], y_all[rest], args.backbone_epochs,
        osp.join(backbone_dir, 'r32_cifar10-lt-complement.pth'))
    if args.dataset == 'cifar10lt':
        x_test, y_test = load_split(root, 'test',
                                    osp.join(args.work_dir, 'test.npz'))
        data = dict(
            x_train=x_all[lt],
            y_train=y_all[lt],
            x_test=x_test,
            y_test=y_test,
            k=10)
    else:
        troot = extracted(TINY_ARCHIVE, 'tiny-imagenet-200-lt', args.tiny_root,
                          '--tiny-root')
        x_train, y_train = load_list(troot, 'train_lt_if100.txt',
                                     osp.join(args.work_dir, 'train.npz'))
        x_test, y_test = load_list(troot, 'val.txt',
                                   osp.join(args.work_dir, 'test.npz'))
        data = dict(
            x_train=x_train,
            y_train=y_train,
            x_test=x_test,
            y_test=y_test,
            k=int(y_train.max()) + 1)
    counts = np.bincount(data['y_train'], minlength=data['k'])
    log(f'{args.dataset}: {len(data["y_train"])} LT train images '
        f'({counts.max()} ... {counts.min()} per class, K = {data["k"]}), '
        f'{len(data["y_test"])} test')
    return model, data


def main(argv=None):
    args = parse_args(argv)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # init logs
    torch.set_num_threads(args.threads)
    os.makedirs(args.work_dir, exist_ok=True)
    model, data = prepare_data(args)
    feats_path = osp.join(args.work_dir, f'features_{args.views}v.pt')
    if osp.isfile(feats_path):
        feats = torch.load(feats_path, weights_only=True)
    else:
        gen = torch.Generator().manual_seed(1)
        feats = dict(
            views=extract(model, data['x_train'], args.views, gen),
            train=extract(model, data['x_train'], 0, gen)[0],
            test=extract(model, data['x_test'], 0, gen)[0])
        torch.save(feats, feats_path)
    log(f'features: {tuple(feats["views"].shape)} train views, '
        f'{tuple(feats["test"].shape)} test')
    y_lt, y_test, k = data['y_train'], data['y_test'], data['k']
    results = {}
    for method in args.methods:
        for seed in args.seeds:
            t0 = time.time()
            if method == 'kmeans':
                c = spherical_kmeans(feats['train'], k, seed)
                pred_test = (F.normalize(feats['test']) @ c.T).argmax(1)
                pred_train = (F.normalize(feats['train']) @ c.T).argmax(1)
            else:
                head = train_head(method, feats['views'], feats['train'], seed,
                                  args.epochs, k)
                with torch.no_grad():
                    pred_test = head(feats['test'])[0].argmax(1)
                    pred_train = head(feats['train'])[0].argmax(1)
            results[f'{method}/{seed}'] = dict(
                test=evaluate(pred_test, y_test, k),
                train=evaluate(pred_train, y_lt, k),
                seconds=time.time() - t0)
            r = results[f'{method}/{seed}']
            if args.diagnose and method != 'kmeans':
                r['diagnosis'] = diagnose(head, feats['train'])
                log(f'{method} seed {seed} diagnosis: {r["diagnosis"]}')
            log(f'{method} seed {seed}: test ACC {r["test"]["mean_acc"]:.2f} '
                f'NMI {r["test"]["nmi"]:.2f} ARI {r["test"]["ari"]:.2f} '
                f'head/med/tail {r["test"]["head"]:.1f}/'
                f'{r["test"]["medium"]:.1f}/{r["test"]["tail"]:.1f}; train '
                f'cluster sizes {_sizes(r["train"]["sizes"])}')
    with open(osp.join(args.work_dir, args.results), 'w') as f:
        json.dump(dict(args=vars(args), results=results), f, indent=1)
    keys = ('mean_acc', 'nmi', 'ari', 'f1', 'head', 'medium', 'tail')
    for split in ('test', 'train'):
        kind = 'balanced' if split == 'test' else 'LT'
        print(f'\n{args.dataset} {split} set ({kind}, last epoch, mean over '
              f'seeds {args.seeds}):')
        print(f'{"method":<9}' + ''.join(
            f'{k:>9}'
            for k in ('ACC', 'NMI', 'ARI', 'F1', 'head', 'medium', 'tail')))
        for method in args.methods:
            runs = [results[f'{method}/{s}'][split] for s in args.seeds]
            row = ''.join(f'{np.mean([r[k] for r in runs]):>9.2f}'
                          for k in keys)
            print(f'{method:<9}{row}')
        if len(args.seeds) > 1:
            print('(std over seeds: ' + ', '.join(
                f'{m} ACC {np.std([results[f"{m}/{s}"][split]["mean_acc"] for s in args.seeds]):.2f}'  # noqa: E501
                for m in args.methods) + ')')


if __name__ == '__main__':
    main()
