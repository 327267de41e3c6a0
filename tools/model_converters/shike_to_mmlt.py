# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official SHIKE checkpoint (jinyan-06/SHIKE) to mmlt.

The ResNet-32 with depth-wise fusion (``layer3s``, ``shallow_exps``) and both
classifier sets (``classifiers``, ``rt_classifiers``) map onto mmlt's
``ExpertResNetCifar(fusion=...)`` and ``SHIKEHead`` (see
``mmlt.utils.official_checkpoints``). The converted model predicts with the
re-trained classifiers (``--stage 2``, the official final models) or the
first set (``--stage 1``, a checkpoint saved before the ``cornerstone``
epoch). The checkpoint is read with safe loading: objects it pickles
besides tensors are replaced by inert stand-ins, never executed.

Example::

    python tools/model_converters/shike_to_mmlt.py official.pth \\
        shike_mmlt.pth \\
        --config configs/shike/shike_r32_1xb128-200e_cifar100lt-if100.py
"""
import functools
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
from mmlt.utils import official_checkpoints  # noqa: E402


def main(argv=None):
    parser = official_checkpoints.converter_parser(__doc__.split('\n')[0])
    parser.add_argument(
        '--stage',
        type=int,
        default=2,
        choices=[1, 2],
        help='classifier set to predict with (default: 2)')
    args = parser.parse_args(argv)
    import mmlt  # noqa: F401
    official_checkpoints.convert_checkpoint(
        args.src, args.dst,
        functools.partial(
            official_checkpoints.convert_shike, stage=args.stage), args.config)


if __name__ == '__main__':
    main()
