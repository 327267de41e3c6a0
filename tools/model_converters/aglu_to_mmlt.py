# Copyright (c) mmlt contributors. All rights reserved.
"""Convert an official AGLU / APA checkpoint (kostas1515/AGLU) to mmlt.

The classification ResNets of the official code (CIFAR ``ResNet_s`` of
``resnet_cifar.py``: ``se_resnet32``; ImageNet ``ResNet`` of
``resnet_pytorch.py``: ``se_resnet50/101/152``, ``se_resnext50_32x4d``,
``cb_resnet*``) map onto mmlt's ``SEResNetCifarAGLU`` / ``SEResNetAGLU`` /
``SEResNeXtAGLU`` with a cosine (``--classif_norm cosine`` / ``lr_cosine``)
or plain linear head (see ``mmlt.utils.official_checkpoints``). The weights
are read from the checkpoint's ``'model'`` entry (``train.py``), its
``'state_dict'`` entry or the file itself; ``module.`` prefixes are removed.
The checkpoint is read with safe loading: objects it pickles besides tensors
(e.g. ``train.py``'s ``args``) are replaced by inert stand-ins, never
executed.

The published models were trained with the official AGLU (its biased
lambda-gradient and its floor ``max(lambda, 0) + 1e-8`` on lambda, where
mmlt's default clamps lambda to ``>= 1e-4``): to evaluate or fine-tune them
exactly as the official code does, add
``--cfg-options model.backbone.act_cfg.legacy_lambda_grad=True``. The script
says when a checkpoint has AGLU lambdas below 1e-4, where the two floors
differ by more than rounding.

Example::

    python tools/model_converters/aglu_to_mmlt.py model_499.pth \\
        aglu_mmlt.pth \\
        --config configs/apa/aglu-apa-se_se-r32_1xb512-500e_cifar100lt-if100.py
"""
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
from mmlt.utils import official_checkpoints  # noqa: E402


def main(argv=None):
    parser = official_checkpoints.converter_parser(__doc__.split('\n')[0])
    args = parser.parse_args(argv)
    import mmlt  # noqa: F401
    converted = official_checkpoints.convert_checkpoint(
        args.src, args.dst, official_checkpoints.convert_aglu_resnet,
        args.config)
    # AGLU lambdas (not the APA gates of the attention) below mmlt's floor:
    # the official AGLU uses max(lambda, 0) + 1e-8 there
    low = [
        key for key, value in converted.items() if key.endswith('lambda_param')
        and '.se_layer.' not in key and float(value.min()) < 1e-4
    ]
    if low:
        print(f'{len(low)} AGLU lambdas are below 1e-4 (e.g. {low[0]}): '
              'evaluate and fine-tune with '
              'model.backbone.act_cfg.legacy_lambda_grad=True, which '
              'reproduces the official floor max(lambda, 0) + 1e-8.')


if __name__ == '__main__':
    main()
