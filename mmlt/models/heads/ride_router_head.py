# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmlt.registry import MODELS


@MODELS.register_module()
class RIDERouterHead(BaseModule):
    """RIDE's expert-assignment (EA) router.

    After expert ``k`` (``k = 1..K-1``) the router decides whether the sample
    needs expert ``k + 1``. Its input is the concatenation of the ``M``
    largest running-mean logits ``(1/k) sum_{j<=k} z_j`` and
    ``ReLU(FC_k(f_k / |f_k|))`` of expert ``k``'s pooled feature (``FC_k``:
    ``D -> hidden``, one per step); a Linear(``M + hidden`` -> 1) shared by
    all steps gives the logit. Trained with :class:`RIDERouterLoss`.

    Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
    Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.

    Args:
        in_channels (int): Feature size ``D`` of one expert.
        num_classes (int): Number of classes ``C``.
        num_experts (int): Number of experts ``K`` (>= 2).
        top_choices (int): ``M``: 30 for CIFAR / ResNet-10, 50 for
            ResNet-50 / ResNeXt-50 / iNat. Defaults to 30.
        hidden_channels (int): Defaults to 16.
        loss (dict): Defaults to ``RIDERouterLoss(pos_weight=100)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_experts: int,
                 top_choices: int = 30,
                 hidden_channels: int = 16,
                 loss: dict = dict(type='RIDERouterLoss', pos_weight=100.),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_experts < 2:
            raise ValueError(f'a router needs num_experts >= 2, got '
                             f'{num_experts}.')
        if not 1 <= top_choices <= num_classes:
            raise ValueError(f'top_choices={top_choices} must be in [1, '
                             f'num_classes={num_classes}].')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_experts = num_experts
        self.top_choices = top_choices
        self.hidden_fcs = nn.ModuleList([
            nn.Linear(in_channels, hidden_channels)
            for _ in range(num_experts - 1)
        ])
        self.fc = nn.Linear(top_choices + hidden_channels, 1)
        self.loss_module = MODELS.build(loss) if isinstance(loss, dict) \
            else loss

    def _decide(self, hidden: torch.Tensor,
                mean_logits: torch.Tensor) -> torch.Tensor:
        topk = mean_logits.topk(self.top_choices, dim=-1).values
        return self.fc(torch.cat([topk, F.relu(hidden)], dim=-1))[..., 0]

    def forward_step(self, feat: torch.Tensor, mean_logits: torch.Tensor,
                     step: int) -> torch.Tensor:
        """Router logit ``(N, )`` after ``step + 1`` experts.

        Args:
            feat (Tensor): ``(N, D)`` pooled feature of expert ``step``.
            mean_logits (Tensor): ``(N, C)`` mean logits of experts
                ``0..step``.
            step (int): 0-based step in ``[0, K - 1)``.
        """
        if not 0 <= step < self.num_experts - 1:
            raise ValueError(f'router step {step} out of range '
                             f'[0, {self.num_experts - 1}).')
        hidden = self.hidden_fcs[step](F.normalize(feat, dim=-1))
        return self._decide(hidden, mean_logits)

    def forward(self, feats: torch.Tensor,
                expert_logits: torch.Tensor) -> torch.Tensor:
        """Router logits ``(N, K - 1)`` of all steps at once (training).

        Args:
            feats (Tensor): ``(N, K, D)`` pooled features of all experts.
            expert_logits (Tensor): ``(N, K, C)`` logits of all experts.
        """
        steps = self.num_experts - 1
        weight = torch.stack([fc.weight for fc in self.hidden_fcs])
        bias = torch.stack([fc.bias for fc in self.hidden_fcs])
        hidden = torch.einsum('nkd,khd->nkh',
                              F.normalize(feats[:, :steps], dim=-1),
                              weight) + bias
        counts = torch.arange(
            1,
            steps + 1,
            device=expert_logits.device,
            dtype=expert_logits.dtype)
        running_mean = expert_logits[:, :steps].cumsum(dim=1) / counts[:, None]
        return self._decide(hidden, running_mean)

    def loss(self, feats: torch.Tensor, expert_logits: torch.Tensor,
             target: torch.Tensor) -> dict:
        router_logits = self(feats, expert_logits)
        return dict(
            loss_router=self.loss_module(router_logits, expert_logits, target))
