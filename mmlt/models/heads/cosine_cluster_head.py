# Copyright (c) mmlt contributors. All rights reserved.
import itertools
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample

from mmlt.registry import MODELS


@MODELS.register_module()
class CosineClusterHead(BaseModule):
    """Cosine clustering head(s) trained on optimal-transport pseudo-labels.

    Each of ``num_heads`` heads holds ``num_clusters`` unit prototypes; its
    logits are ``logit_scale * cos(x, w_k)`` (the weight-normalised linear
    layer with gain fixed to 1 of P²OT / SP²OT, temperature 0.1). Training
    follows Zhang et al. (P²OT, ICLR 2024): a pseudo-labeler (e.g.
    :class:`PartialOTPseudoLabeler`) turns the logits of every view into soft
    targets, and each view's logits are trained on the *other* views'
    targets (swapped prediction) with a soft-target cross-entropy whose
    targets are not renormalised, so a sample's weight is the mass the solver
    gave it. One loss key per head: ``loss_cluster`` (one head) or
    ``loss_cluster_h{i}``.

    At test time the predicted cluster is the argmax of the evaluated head:
    a fixed index, or ``'min_loss'``, the head with the lowest running
    training loss (no labels used; the official code picks the head with the
    lowest epoch training loss).

    Args:
        in_channels (int): Feature size.
        num_clusters (int): Clusters per head ``K``.
        num_heads (int): Number of heads. Defaults to 1.
        logit_scale (float): Scale of the cosines. Defaults to 10.
        pseudo_labeler (dict): Config of the pseudo-labeler; ``num_clusters``
            and ``num_heads`` are filled in.
        loss (dict): Soft-target loss. Defaults to mmpretrain's
            ``CrossEntropyLoss(use_soft=True)``.
        eval_head (int | str): Head used by ``predict``. Defaults to
            ``'min_loss'``.
        loss_momentum (float): Momentum of the running per-head loss.
            Defaults to 0.99.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_clusters: int,
                 num_heads: int = 1,
                 logit_scale: float = 10.,
                 pseudo_labeler: dict = dict(type='PartialOTPseudoLabeler'),
                 loss: dict = dict(type='CrossEntropyLoss', use_soft=True),
                 eval_head: Union[int, str] = 'min_loss',
                 loss_momentum: float = 0.99,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_clusters < 2:
            raise ValueError(f'num_clusters must be >= 2, got {num_clusters}.')
        if not (eval_head == 'min_loss' or
                (isinstance(eval_head, int) and 0 <= eval_head < num_heads)):
            raise ValueError("eval_head must be 'min_loss' or a head index "
                             f'in [0, {num_heads}), got {eval_head!r}.')
        self.in_channels = in_channels
        self.num_clusters = num_clusters
        self.num_heads = num_heads
        self.logit_scale = logit_scale
        self.eval_head = eval_head
        self.loss_momentum = loss_momentum
        # same init as nn.Linear, the directions are what matter
        bound = 1 / in_channels**0.5
        self.prototypes = nn.Parameter(
            torch.empty(num_heads, num_clusters,
                        in_channels).uniform_(-bound, bound))
        labeler = dict(pseudo_labeler)
        labeler.setdefault('num_clusters', num_clusters)
        labeler.setdefault('num_heads', num_heads)
        self.pseudo_labeler = MODELS.build(labeler)
        self.loss_module = MODELS.build(loss)
        self.register_buffer('loss_ema', torch.full((num_heads, ),
                                                    float('nan')))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """``(B, D)`` features -> ``(H, B, K)`` logits."""
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        x = F.normalize(feats, dim=-1)
        w = F.normalize(self.prototypes, dim=-1)
        return self.logit_scale * torch.einsum('bd,hkd->hbk', x, w)

    def loss(
        self,
        view_feats: List[torch.Tensor],
        data_samples: Optional[List[DataSample]] = None
    ) -> Dict[str, torch.Tensor]:
        """Swapped-prediction loss on the pseudo-labels of every view.

        Args:
            view_feats (list[torch.Tensor]): ``(B, D)`` features per view
                (at least two views).
            data_samples (list[DataSample], optional): Their ``sample_idx``
                is passed to the pseudo-labeler.
        """
        if len(view_feats) < 2:
            raise ValueError('CosineClusterHead.loss needs >= 2 views, got '
                             f'{len(view_feats)} (use MultiView in the '
                             'train pipeline).')
        logits = [self(f) for f in view_feats]
        indices = _sample_indices(data_samples, logits[0].device)
        targets = self.pseudo_labeler(logits, indices)
        losses = {}
        per_head = []
        for h in range(self.num_heads):
            loss = sum(
                self.loss_module(logits[a][h], targets[b][h])
                for a, b in itertools.permutations(range(len(logits)), 2))
            per_head.append(loss.detach())
            key = 'loss_cluster' if self.num_heads == 1 else \
                f'loss_cluster_h{h}'
            losses[key] = loss
        with torch.no_grad():
            current = torch.stack(per_head).to(self.loss_ema)
            fresh = torch.isnan(self.loss_ema)
            self.loss_ema.copy_(
                torch.where(
                    fresh, current, self.loss_momentum * self.loss_ema +
                    (1 - self.loss_momentum) * current))
        labeler = self.pseudo_labeler
        losses['rho'] = labeler.rho.detach().float().clone()
        if getattr(labeler, 'last_n_iter', None) is not None:
            losses['ot_iters'] = labeler.last_n_iter.float().max().to(
                losses['rho'].device)
        return losses

    @property
    def eval_head_index(self) -> int:
        if isinstance(self.eval_head, int):
            return self.eval_head
        if bool(torch.isnan(self.loss_ema).all()):
            return 0
        return int(torch.nan_to_num(self.loss_ema, nan=float('inf')).argmin())

    def predict(
            self,
            feats: torch.Tensor,
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """Cluster scores of the evaluated head (``pred_score``,
        ``pred_label``) and every head's cluster (``head_labels``)."""
        logits = self(feats)
        head = self.eval_head_index
        scores = logits[head].softmax(-1)
        labels = scores.argmax(-1)
        all_labels = logits.argmax(-1).T  # (B, H)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(scores.shape[0])]
        for sample, score, label, heads in zip(data_samples, scores, labels,
                                               all_labels):
            sample.set_pred_score(score).set_pred_label(label)
            sample.set_field(heads, 'head_labels')
        return data_samples


def _sample_indices(data_samples, device) -> Optional[torch.Tensor]:
    if not data_samples or 'sample_idx' not in data_samples[0]:
        return None
    return torch.tensor([int(s.sample_idx) for s in data_samples],
                        dtype=torch.long,
                        device=device)
