# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official MDCS checkpoint (fistyee/MDCS) to mmlt.

The expert-branch ResNet (shared stages, one stage copy per expert) and the
cosine classifiers map onto mmlt's ``Expert*`` backbones and
``MultiExpertClsHead`` (see ``mmlt.utils.official_checkpoints``).
The unused ``linear_head``, ``linear_few`` and ``mlp`` modules of the official
CIFAR model are left out.
The checkpoint is read with safe loading: objects it pickles besides tensors
(e.g. the trainer's config) are replaced by inert stand-ins, never executed.

Example::

    python tools/model_converters/mdcs_to_mmlt.py official.pth mdcs_mmlt.pth \\
        --config configs/mdcs/CONFIG.py
"""
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
from mmlt.utils import official_checkpoints  # noqa: E402


def main(argv=None):
    parser = official_checkpoints.converter_parser(__doc__.split('\n')[0])
    args = parser.parse_args(argv)
    import mmlt  # noqa: F401
    official_checkpoints.convert_checkpoint(
        args.src, args.dst, official_checkpoints.convert_expert_resnet,
        args.config)


if __name__ == '__main__':
    main()
