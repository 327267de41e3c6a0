# Copyright (c) mmlt contributors. All rights reserved.
"""A hook for the 2-process test: after every training iteration, check that
all ranks hold the same logits bank, warm start and pseudo-labels, and that
the bank holds the samples of every rank's batch."""
import torch
from mmengine.dist import all_gather, get_rank
from mmengine.hooks import Hook

from mmlt.registry import HOOKS


@HOOKS.register_module()
class DDPAgreementProbe(Hook):

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        labeler = runner.model.module.head.pseudo_labeler
        bank = labeler.bank
        state = torch.cat([
            bank.logits.flatten().double(),
            bank.indices.double(),
            labeler.log_b.flatten().nan_to_num(-7.0),
            labeler.last_plan.flatten().double(),
        ])
        states = all_gather(state)
        assert all(torch.equal(states[0], s) for s in states), \
            'ranks disagree on the bank / warm start / pseudo-labels'
        idx = torch.tensor(
            [int(s.sample_idx) for s in data_batch['data_samples']])
        every = torch.cat(all_gather(idx))
        if bank.is_full:
            assert set(every.tolist()) <= set(bank.indices.tolist())
            assert len(set(idx.tolist()) & set(every.tolist())) == len(idx)
        runner.logger.info(
            f'DDP probe rank {get_rank()}: iter {runner.iter} agree, bank '
            f'full {bank.is_full}, batch of all ranks {sorted(every.tolist())}'
        )
