# Copyright (c) mmlt contributors. All rights reserved.
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from mmlt.registry import HOOKS

MASK_TYPES = ('linear', 'constant')


def meta_mask_prob(progress: float,
                   mask_prob: float = 1.0,
                   mask_type: str = 'linear') -> float:
    """Fraction of each batch trained with masked meta.

    ``'linear'``: ``mask_prob - progress`` (clamped to ``[0, 1]``), i.e.
    ``p_e = 1 - e / E`` at epoch ``e`` (0-based) of ``E`` for the default
    ``mask_prob=1``; ``'constant'``: ``mask_prob``.
    """
    if mask_type not in MASK_TYPES:
        raise ValueError(f'mask_type must be one of {MASK_TYPES}, got '
                         f'{mask_type!r}.')
    prob = mask_prob - progress if mask_type == 'linear' else mask_prob
    return min(max(prob, 0.), 1.)


@HOOKS.register_module()
class MetaMaskCurriculumHook(Hook):
    """MetaFormer's meta-masking curriculum (Diao et al., arXiv 2203.02751).

    Before each training epoch ``e`` of ``E`` (0-based) it sets
    ``meta_mask_prob`` of the model (:class:`MetaFGClassifier`) to
    ``mask_prob - e / E`` (``'linear'``, clamped to ``[0, 1]``) or
    ``mask_prob`` (``'constant'``): that fraction of every batch is trained
    with its meta zeroed. With the defaults all meta is masked in the first
    epoch and ``1 / E`` of it in the last. Iteration-based loops use
    ``iter / max_iters`` as progress, updated every iteration. The value is
    logged once per epoch and every iteration as ``meta_mask_prob``.

    The official code (dqshuai/MetaFormer) applies ``1 - e/E`` whatever its
    ``DATA.MASK_PROB`` / ``DATA.MASK_TYPE`` say; here the arguments are
    honoured.

    Args:
        mask_prob (float): Start (``'linear'``) or constant probability.
            Defaults to 1.0.
        mask_type (str): ``'linear'`` or ``'constant'``. Defaults to
            ``'linear'``.
    """
    priority = 'NORMAL'

    def __init__(self, mask_prob: float = 1.0, mask_type: str = 'linear'):
        if not 0. <= mask_prob <= 1.:
            raise ValueError(f'mask_prob must be in [0, 1], got {mask_prob}.')
        meta_mask_prob(0., mask_prob, mask_type)  # validates mask_type
        self.mask_prob = mask_prob
        self.mask_type = mask_type
        self.current = None

    @staticmethod
    def _target(runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if not hasattr(model, 'meta_mask_prob'):
            raise TypeError(
                'MetaMaskCurriculumHook needs a model with `meta_mask_prob` '
                f'(MetaFGClassifier), got {type(model).__name__}.')
        return model

    def _set(self, runner, progress: float) -> float:
        prob = meta_mask_prob(progress, self.mask_prob, self.mask_type)
        self._target(runner).meta_mask_prob = prob
        self.current = prob
        return prob

    def before_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            return
        epoch, total = runner.epoch, runner.max_epochs
        prob = self._set(runner, epoch / total)
        runner.logger.info(
            f'MetaMaskCurriculumHook: epoch {epoch + 1}/{total}, meta masked '
            f'for {prob:.4f} of each batch ({self.mask_type}, mask_prob='
            f'{self.mask_prob}).')

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            self._set(runner, runner.iter / runner.max_iters)
        runner.message_hub.update_scalar('train/meta_mask_prob', self.current)
