# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS


@HOOKS.register_module()
class ExpertFlopsHook(Hook):
    """Give :class:`ExpertUsage` the FLOPs per image of a multi-expert model
    for ``1..K`` experts, so ``tools/test.py`` logs GFLOPs next to accuracy.

    Before validation and testing it calls ``model.expert_flops(input_shape)``
    (:class:`RIDEClassifier`, :class:`RIDERouterClassifier`; counted once and
    cached) and ``set_expert_flops`` of every metric that has it.

    Args:
        input_shape (Sequence[int]): ``(C, H, W)`` of one test image, e.g.
            ``(3, 32, 32)`` for CIFAR or ``(3, 224, 224)`` for ImageNet.
    """
    priority = 'LOW'

    def __init__(self, input_shape: Sequence[int] = (3, 224, 224)):
        if len(input_shape) != 3:
            raise ValueError('input_shape must be (C, H, W), got '
                             f'{tuple(input_shape)}.')
        self.input_shape = tuple(input_shape)
        self._flops: Optional[tuple] = None

    def _dispatch(self, runner, loop_name: str) -> None:
        evaluator = getattr(getattr(runner, loop_name, None), 'evaluator',
                            None)
        metrics = [
            m for m in getattr(evaluator, 'metrics', [])
            if hasattr(m, 'set_expert_flops')
        ]
        if not metrics:
            return
        if self._flops is None:
            model = runner.model.module if is_model_wrapper(runner.model) \
                else runner.model
            if not hasattr(model, 'expert_flops'):
                raise TypeError(
                    f'ExpertFlopsHook needs a model with `expert_flops` (a '
                    f'RIDE classifier), got {type(model).__name__}.')
            routed = model.expert_flops(self.input_shape, with_router=True)
            plain = model.expert_flops(self.input_shape, with_router=False)
            self._flops = (routed, plain[-1])
            runner.logger.info(
                'ExpertFlopsHook: GFLOPs per image with 1..K experts: ' +
                ', '.join(f'{f / 1e9:.4f}' for f in routed))
        for metric in metrics:
            metric.set_expert_flops(*self._flops)

    def before_val(self, runner) -> None:
        self._dispatch(runner, '_val_loop')

    def before_test(self, runner) -> None:
        self._dispatch(runner, '_test_loop')
