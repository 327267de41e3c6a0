# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official DeiT-LT student checkpoint (val-iisc/DeiT-LT) to mmlt.

The distilled ViT of the official ``deit_models`` (timm-style keys of
``deit_base_distilled_patch16_224``: ``cls_token``, ``dist_token``,
``pos_embed``, ``patch_embed.proj``, ``blocks.*``, ``norm``, ``head``,
``head_dist``) maps onto mmpretrain's ``DistilledVisionTransformer``
(``backbone.*``) and the DeiT head (``head.layers.head`` /
``head.layers.head_dist``) of the ``configs/deit_lt`` students (see
``mmlt.utils.official_checkpoints.convert_deit_lt``). The student is read
from the checkpoint's ``'model'`` entry (or the file is the state dict
itself), or with ``--ema`` from its ``'model_ema'`` entry (timm
``ModelEma``, kept but not evaluated by the official code). The checkpoint
is read with safe loading: what ``main.py`` pickles besides tensors (its
``argparse.Namespace``) is replaced by inert stand-ins, never executed. The
teacher is not part of the student checkpoint.

Example::

    python tools/model_converters/deit_lt_to_mmlt.py \\
        deit_base_distilled_patch16_224_resnet32_..._checkpoint.pth \\
        deit_lt_mmlt.pth --config configs/deit_lt/CONFIG.py
"""
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
from mmlt.utils import official_checkpoints  # noqa: E402


def main(argv=None):
    parser = official_checkpoints.converter_parser(__doc__.split('\n')[0])
    parser.add_argument(
        '--ema',
        action='store_true',
        help="convert the EMA weights ('model_ema') instead of 'model'")
    args = parser.parse_args(argv)
    import mmlt  # noqa: F401
    official_checkpoints.convert_checkpoint(
        args.src,
        args.dst,
        official_checkpoints.convert_deit_lt,
        args.config,
        state_key='model_ema' if args.ema else None)


if __name__ == '__main__':
    main()
