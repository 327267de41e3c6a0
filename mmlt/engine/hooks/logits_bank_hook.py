# Copyright (c) mmlt contributors. All rights reserved.
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmlt.registry import HOOKS


@HOOKS.register_module()
class LogitsBankHook(Hook):
    """Fill the logits bank of the pseudo-labelers before an epoch.

    At the start of epoch ``start_epoch`` (and of any later epoch if the bank
    is still not full, e.g. after resuming from a checkpoint without one) the
    model runs in eval mode on training batches (the first view) until every
    :class:`LogitsBank` of the model is full, as P²OT does at epoch 1 and
    SP²OT at epoch 0. Under DDP the logits of all ranks are gathered, so the
    banks agree across ranks. A bank restored from a checkpoint is kept.

    Args:
        start_epoch (int): First epoch that solves on the bank. Defaults
            to 1.
    """
    priority = 'NORMAL'

    def __init__(self, start_epoch: int = 1):
        self.start_epoch = start_epoch

    def before_train_epoch(self, runner) -> None:
        if runner.epoch < self.start_epoch:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        labelers = [
            m for m in model.modules()
            if getattr(m, 'bank', None) is not None and not m.bank.is_full
        ]
        if not labelers:
            return
        from mmlt.models.utils import gather_rows
        was_training = model.training
        model.eval()
        batches = 0
        with torch.no_grad():
            for data in runner.train_dataloader:
                data = model.data_preprocessor(data, False)
                inputs = data['inputs']
                if isinstance(inputs, (list, tuple)):
                    inputs = inputs[0]
                logits = model.cluster_logits(inputs)
                samples = data['data_samples']
                idx = torch.tensor([
                    int(s.sample_idx) if 'sample_idx' in s else -1
                    for s in samples
                ],
                                   device=logits.device)
                logits, _ = gather_rows(logits.float(), dim=1)
                idx, _ = gather_rows(idx)
                for labeler in labelers:
                    bank = labeler.bank
                    room = bank.size - int(bank.num_written)
                    if room > 0:
                        bank.enqueue(logits[:, :room], idx[:room])
                batches += 1
                if all(lab.bank.is_full for lab in labelers):
                    break
        model.train(was_training)
        if not all(lab.bank.is_full for lab in labelers):
            sizes = [lab.bank.size for lab in labelers]
            raise RuntimeError(
                f'LogitsBankHook: the training set is too small to fill a '
                f'logits bank of {sizes} rows; lower bank_size.')
        runner.logger.info(
            f'LogitsBankHook: filled the logits bank(s) of '
            f'{[lab.bank.size for lab in labelers]} rows from {batches} '
            f'training batches at epoch {runner.epoch}.')
