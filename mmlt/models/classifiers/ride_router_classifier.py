# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS


@MODELS.register_module()
class RIDERouterClassifier(ImageClassifier):
    """RIDE stage 2: a trained multi-expert model plus the expert-assignment
    router (:class:`RIDERouterHead`).

    Everything but the router is frozen at construction (so DDP and the
    optimizer see only router parameters) and kept in eval mode, BatchNorm
    included, whatever ``train()`` is called with. Training runs all experts
    and fits the router to :func:`ride_router_targets`. At inference expert
    1 always runs; after each expert ``k`` the samples whose router says
    ``sigmoid > 0.5`` go on to expert ``k + 1`` (once stopped, a sample stays
    stopped), and the prediction is the mean logits of the experts a sample
    used. Each prediction carries ``num_experts_used``.

    Load the stage-1 weights with ``load_from`` (the router is missing from
    that checkpoint and keeps its initialisation).

    Refers to `Long-tailed Recognition by Routing Diverse Distribution-Aware
    Experts (ICLR 2021) <https://arxiv.org/abs/2010.01809>`_.

    Args:
        backbone (dict): Expert-branch backbone of the stage-1 model.
        head (dict): ``MultiExpertClsHead`` of the stage-1 model.
        router (dict): ``RIDERouterHead``.
        use_router (bool): Route at inference; False runs all experts.
            Defaults to True.
        **kwargs: Other arguments of :class:`ImageClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 router: dict,
                 use_router: bool = True,
                 **kwargs):
        super().__init__(backbone=backbone, head=head, **kwargs)
        self.router = MODELS.build(router)
        self.num_experts = self.head.num_experts
        if self.router.num_experts != self.num_experts:
            raise ValueError(f'router has {self.router.num_experts} experts, '
                             f'the head {self.num_experts}.')
        self.use_router = use_router
        for name, param in self.named_parameters():
            param.requires_grad_(name.startswith('router.'))

    def train(self, mode: bool = True):
        super().train(mode)
        for module in (self.backbone, self.neck, self.head):
            if module is not None:
                module.eval()
        return self

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        with torch.no_grad():
            feats = self.extract_feat(inputs)
            expert_logits = self.head.forward_experts(feats)
        target = torch.cat([ds.gt_label for ds in data_samples])
        return self.router.loss(feats[-1], expert_logits, target)

    @torch.no_grad()
    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        if not self.use_router:
            return super().predict(inputs, data_samples, **kwargs)
        logit_sum, used = self.routed_logits(inputs)
        predictions = self.head._get_predictions(
            logit_sum / used[:, None].to(logit_sum.dtype), data_samples)
        for sample, count in zip(predictions, used.tolist()):
            sample.set_field(
                int(count), 'num_experts_used', field_type='metainfo')
            sample.set_field(
                self.num_experts, 'num_experts', field_type='metainfo')
        return predictions

    @torch.no_grad()
    def routed_logits(self, inputs: torch.Tensor):
        """Per-sample early exit.

        Returns:
            tuple: summed logits ``(N, C)`` of the experts each sample used
            and the number used ``(N, )``.
        """
        backbone, head = self.backbone, self.head
        taps = backbone.forward_shared(inputs)
        feat = backbone.forward_expert(taps, 0)
        logit_sum = head.expert_logits(feat, 0)
        used = torch.ones(
            inputs.size(0), dtype=torch.long, device=inputs.device)
        active = torch.arange(inputs.size(0), device=inputs.device)
        for k in range(1, self.num_experts):
            mean_logits = logit_sum[active] / k
            go = torch.sigmoid(
                self.router.forward_step(feat, mean_logits, k - 1)) > 0.5
            active = active[go]
            if active.numel() == 0:
                break
            feat = backbone.forward_expert(tuple(t[active] for t in taps), k)
            logit_sum[active] += head.expert_logits(feat, k)
            used[active] += 1
        return logit_sum, used
