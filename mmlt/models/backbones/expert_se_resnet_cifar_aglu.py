# Copyright (c) mmlt contributors. All rights reserved.
from mmlt.registry import MODELS
from .expert_resnet_cifar import ExpertResNetCifar
from .se_resnet_apa import SEResNetCifarAGLU


@MODELS.register_module()
class ExpertSEResNetCifarAGLU(ExpertResNetCifar, SEResNetCifarAGLU):
    """:class:`ExpertResNetCifar` built from the blocks of
    :class:`SEResNetCifarAGLU`: AGLU activations (``act_cfg``) and APA-SE
    gates (``se_ratio``) in the stem, the shared stages and every expert
    branch.

    It composes two orthogonal methods, multi-expert training (RIDE, MDCS)
    and adaptive parametric activations (APA, ECCV 2024), which no official
    code offers together.

    Args:
        **kwargs: Arguments of :class:`ExpertResNetCifar` (``num_experts``,
            ``reduce_dimension``, ...) and of :class:`SEResNetCifarAGLU`
            (``act_cfg``, ``se_ratio``, ``attention``, ...).
    """
