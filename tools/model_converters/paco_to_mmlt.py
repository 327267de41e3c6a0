# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official PaCo / GPaCo checkpoint (Parametric-Contrastive-
Learning) to mmlt.

The query encoder (ResNet + projection MLP), the key encoder (PaCo), the
linear classifier (the class centres) and the queue with its labels map onto
mmlt's ``PaCo`` / ``GPaCo`` (see ``mmlt.utils.paco_checkpoint``); the unused
key copy of the classifier (``linear_k``) is left out. The checkpoint is read
with safe loading: what it pickles besides tensors (the optimizer state is
tensors, the ``arch`` a string; other objects would become inert stand-ins)
is never executed. Give ``--config`` to load the result strictly into a
model (a PaCo checkpoint into a PaCo config, GPaCo into GPaCo, the same
backbone, classes, moco-dim and queue size), so a mismatch fails here and
not as a near-zero accuracy later.

Example::

    python tools/model_converters/paco_to_mmlt.py moco_ckpt.pth.tar \\
        paco_mmlt.pth \\
        --config configs/paco/paco_r32_1xb128-400e_cifar100lt-if100.py
"""
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
from mmlt.utils import official_checkpoints  # noqa: E402
from mmlt.utils.paco_checkpoint import convert_paco  # noqa: E402


def main(argv=None):
    parser = official_checkpoints.converter_parser(
        'Convert an official PaCo / GPaCo checkpoint to mmlt.')
    args = parser.parse_args(argv)
    import mmlt  # noqa: F401
    official_checkpoints.convert_checkpoint(args.src, args.dst, convert_paco,
                                            args.config)


if __name__ == '__main__':
    main()
