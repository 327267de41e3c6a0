# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmlt.registry import MODELS


def ride_router_targets(expert_logits: torch.Tensor,
                        target: torch.Tensor) -> torch.Tensor:
    """Targets of RIDE's expert-assignment router.

    With ``correct_k`` = "the mean of experts ``1..k`` predicts ``y``", the
    router after step ``k`` (``k = 1..K-1``) should ask for more experts iff
    ``not correct_k`` and some later ensemble ``correct_j`` (``j > k``) is
    right.

    Args:
        expert_logits (Tensor): ``(N, K, C)`` logits of all experts.
        target (Tensor): ``(N, )`` labels.

    Returns:
        Tensor: ``(N, K - 1)`` float targets in {0, 1}.
    """
    num_experts = expert_logits.size(1)
    # the argmax of a running sum equals that of the running mean
    running = expert_logits.cumsum(dim=1)
    correct = running.argmax(dim=-1) == target[:, None]  # (N, K)
    # later_correct[:, k] = any(correct[:, k + 1:]) for k < K - 1
    later = correct.flip(1).cummax(dim=1).values.flip(1)[:, 1:]
    return (~correct[:, :num_experts - 1] & later).float()


@MODELS.register_module()
class RIDERouterLoss(nn.Module):
    """Binary cross-entropy of RIDE's expert-assignment router, averaged over
    the ``K - 1`` routing steps, with targets from
    :func:`ride_router_targets`.

    Args:
        pos_weight (float): Weight of positive ("consult the next expert")
            targets; trades accuracy against FLOPs. Defaults to 100 (all
            official configs).
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, pos_weight: float = 100., loss_weight: float = 1.0):
        super().__init__()
        if pos_weight <= 0:
            raise ValueError(f'pos_weight must be positive, got {pos_weight}.')
        self.pos_weight = pos_weight
        self.loss_weight = loss_weight

    def forward(self, router_logits: torch.Tensor, expert_logits: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Args:
            router_logits (Tensor): ``(N, K - 1)``.
            expert_logits (Tensor): ``(N, K, C)``.
            target (Tensor): ``(N, )`` labels.
        """
        if router_logits.shape != (expert_logits.size(0),
                                   expert_logits.size(1) - 1):
            raise ValueError(
                f'router_logits must be (N, K - 1) = '
                f'{(expert_logits.size(0), expert_logits.size(1) - 1)}, got '
                f'{tuple(router_logits.shape)}.')
        targets = ride_router_targets(expert_logits.detach(), target)
        pos_weight = router_logits.new_tensor(self.pos_weight)
        # mean over samples per step, then over steps == mean over both
        loss = F.binary_cross_entropy_with_logits(
            router_logits, targets, pos_weight=pos_weight)
        return self.loss_weight * loss
