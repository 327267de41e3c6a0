# Copyright (c) mmlt contributors. All rights reserved.
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample

from mmlt.engine.optimizers import in_sam_perturbed_pass
from mmlt.registry import MODELS


@MODELS.register_module()
class PaCo(ImageClassifier):
    """PaCo: a supervised MoCo whose loss adds learnable class centres.

    Training on two views of every image (``MultiView`` pipeline, batches
    ``(2B, C, H, W)`` from :class:`MultiViewClsDataPreprocessor`, the query
    views first):

    - the query encoder (``backbone`` -> ``neck`` pooling -> ``projector``
      MLP, L2-normalised) embeds the query views; the head's linear
      classifier (the class centres) scores their pooled features;
    - the key encoder ``encoder_k`` (copies of the three, never trained,
      moved towards the query encoder by ``momentum`` before every step)
      embeds the key views, under DDP on a batch shuffled across ranks
      (mmpretrain's ``batch_shuffle_ddp``, as its ``MoCo``);
    - :class:`PaCoLoss` contrasts the queries with ``[queries; keys;
      queue]`` and the class centres;
    - the keys of all ranks (mmengine ``all_gather``) and their labels
      replace the oldest queue entries.

    Prediction is the linear classifier on the query encoder's pooled
    features (the official evaluation).

    Differences from the official code (``PaCo/LT/moco/builder.py``), all
    without effect on a trained model's outputs:

    - the queue starts empty (label ``-1``, ignored by the loss) and fills
      in the first ``queue_len / batch`` steps; the official one starts with
      random features normalised along the wrong axis (column-wise over the
      ``K`` entries, so each entry's norm is about ``sqrt(dim / K)``) and
      random labels, which act as false positives until overwritten
      (``official_queue_init=True`` restores that);
    - the queue wraps around, so ``queue_len`` need not be a multiple of
      the global batch (the official code asserts it);
    - the key copy of the linear classifier (``linear_k``: momentum-updated,
      never used) is not kept;
    - the batch shuffle runs only with more than one process (it is a
      permutation and back on one);
    - under :class:`SAMOptimWrapper` the second (perturbed) forward reuses
      the keys and the queue of the first and neither updates the key
      encoder nor pushes to the queue.

    Refers to `Parametric Contrastive Learning (ICCV 2021)
    <https://arxiv.org/abs/2107.12028>`_.

    Args:
        backbone (dict): The backbone.
        neck (dict): Pooling to the classifier's features
            (``GlobalAveragePooling``).
        head (dict): A :class:`PaCoHead` with a :class:`PaCoLoss`.
        projector (dict): A :class:`PaCoProjector` (the MLP).
        queue_len (int): Queue size ``K`` (the official ``--moco-k``).
            Defaults to 8192.
        feat_dim (int): Embedding size (``--moco-dim``); must equal the
            projector's ``out_channels``. Defaults to 128.
        momentum (float): ``k <- (1 - momentum) k + momentum q``, as
            mmpretrain's ``MoCo`` (the official ``--moco-m 0.999`` is
            ``momentum=0.001``); in (0, 0.5). Defaults to 0.001.
        official_queue_init (bool): Start with the official random queue
            (see above). Defaults to False.
        data_preprocessor (dict, optional): Defaults to
            ``MultiViewClsDataPreprocessor``.
        **kwargs: Other arguments of :class:`ImageClassifier`.
    """
    #: Whether the model has a momentum key encoder (GPaCo: no).
    momentum_encoder = True

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 projector: dict,
                 queue_len: int = 8192,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 official_queue_init: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        if isinstance(data_preprocessor, dict) or data_preprocessor is None:
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type',
                                         'MultiViewClsDataPreprocessor')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            **kwargs)
        name = type(self).__name__
        if self.neck is None:
            raise ValueError(f'{name} needs a neck that pools the backbone '
                             "features (e.g. dict(type='GlobalAveragePooling'"
                             ')).')
        if not queue_len > 0:
            raise ValueError(f'{name}: queue_len must be > 0, got '
                             f'{queue_len}.')
        if not 0 < momentum < 0.5:
            raise ValueError(f'{name}: momentum must be in (0, 0.5), got '
                             f'{momentum}: it is the weight of the query '
                             'encoder (mmpretrain convention: the official '
                             '--moco-m 0.999 is 0.001).')
        self.projector = MODELS.build(projector) if isinstance(
            projector, dict) else projector
        out = getattr(self.projector, 'out_channels', feat_dim)
        if out != feat_dim:
            raise ValueError(f'{name}: the projector embeds to {out} '
                             f'dimensions but feat_dim is {feat_dim}.')
        self.queue_len, self.feat_dim = queue_len, feat_dim
        self.momentum = momentum
        self.official_queue_init = official_queue_init
        if self.momentum_encoder:
            self.encoder_k = nn.ModuleDict(
                dict(
                    backbone=copy.deepcopy(self.backbone),
                    neck=copy.deepcopy(self.neck),
                    projector=copy.deepcopy(self.projector)))
            self.encoder_k.requires_grad_(False)
        if official_queue_init:
            num_classes = self.head.num_classes
            queue = F.normalize(torch.randn(queue_len, feat_dim), dim=0)
            labels = torch.randint(0, num_classes, (queue_len, ))
        else:
            queue = torch.zeros(queue_len, feat_dim)
            labels = torch.full((queue_len, ), -1, dtype=torch.long)
        self.register_buffer('queue', queue)
        self.register_buffer('queue_labels', labels)
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))
        # the contrast rows after the anchors, kept for SAM's second pass
        self._contrast_cache: Optional[Tuple[torch.Tensor,
                                             torch.Tensor]] = None

    def _query_modules(self) -> List[nn.Module]:
        return [self.backbone, self.neck, self.projector]

    def _key_modules(self) -> List[nn.Module]:
        return [
            self.encoder_k['backbone'], self.encoder_k['neck'],
            self.encoder_k['projector']
        ]

    def init_weights(self):
        """Initialise the query encoder and the head, then copy the query
        encoder into the key encoder (as the official constructor)."""
        super().init_weights()
        if self.momentum_encoder:
            for q, k in zip(self._query_modules(), self._key_modules()):
                k.load_state_dict(q.state_dict())

    @torch.no_grad()
    def momentum_update(self) -> None:
        """``k <- (1 - momentum) k + momentum q`` for every parameter of the
        key encoder (its BatchNorm statistics are its own, as officially)."""
        q_params = [p for m in self._query_modules() for p in m.parameters()]
        k_params = [p for m in self._key_modules() for p in m.parameters()]
        torch._foreach_mul_(k_params, 1. - self.momentum)
        torch._foreach_add_(k_params, q_params, alpha=self.momentum)

    def embed(self,
              feats: Tuple[torch.Tensor],
              projector: Optional[nn.Module] = None) -> torch.Tensor:
        """L2-normalised projection of pooled features."""
        return F.normalize((projector or self.projector)(feats), dim=1)

    @torch.no_grad()
    def encode_keys(self, im_k: torch.Tensor) -> torch.Tensor:
        """Normalised key-encoder embeddings of ``im_k``; with more than one
        process the batch is shuffled across ranks for BatchNorm."""
        shuffle = get_world_size() > 1
        if shuffle:
            im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        k = self.embed(
            self.encoder_k['neck'](self.encoder_k['backbone'](im_k)),
            self.encoder_k['projector'])
        if shuffle:
            k = batch_unshuffle_ddp(k, idx_unshuffle)
        return k

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor, labels: torch.Tensor) -> None:
        """Write the keys and labels of all ranks over the oldest entries
        (wrapping around)."""
        keys = torch.cat(all_gather(keys.contiguous()), dim=0)
        labels = torch.cat(all_gather(labels.contiguous()), dim=0)
        n = keys.size(0)
        if n > self.queue_len:
            raise ValueError(
                f'{type(self).__name__}: {n} keys per step (all ranks) do '
                f'not fit in the queue of {self.queue_len}: raise queue_len '
                'or lower the batch size.')
        ptr = int(self.queue_ptr)
        idx = (torch.arange(n, device=keys.device) + ptr) % self.queue_len
        self.queue[idx] = keys.to(self.queue.dtype)
        self.queue_labels[idx] = labels
        self.queue_ptr[0] = (ptr + n) % self.queue_len

    def split_views(
        self, inputs: torch.Tensor, data_samples: List[DataSample]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(query views, key views, labels)`` of a two-view batch."""
        labels = torch.cat([s.gt_label
                            for s in data_samples]).to(inputs.device)
        b = len(data_samples)
        if labels.numel() != b:
            raise ValueError(f'{type(self).__name__} needs one hard label '
                             'per image (mixup / cutmix soft labels are not '
                             'supported).')
        if inputs.size(0) != 2 * b:
            raise ValueError(
                f'{type(self).__name__} needs two views of every image '
                f'(query, key): got {inputs.size(0)} images for {b} labels. '
                'Use a MultiView train pipeline with two views and '
                "data_preprocessor=dict(type='MultiViewClsDataPreprocessor')"
                ' (see configs/paco).')
        return inputs[:b], inputs[b:], labels

    def _cached_contrast(self) -> Tuple[torch.Tensor, torch.Tensor]:
        if self._contrast_cache is None:
            raise RuntimeError(
                f'{type(self).__name__}: a SAM perturbed pass without a '
                'first pass in this step.')
        return self._contrast_cache

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """``loss_cls`` and ``loss_contrast`` of :class:`PaCoLoss` on a
        two-view batch (see the class docstring)."""
        im_q, im_k, labels = self.split_views(inputs, data_samples)
        feats = self.extract_feat(im_q)
        q = self.embed(feats)
        if in_sam_perturbed_pass():
            rest, rest_labels = self._cached_contrast()
        else:
            self.momentum_update()
            k = self.encode_keys(im_k)
            rest = torch.cat([k, self.queue.to(k.dtype)])
            rest_labels = torch.cat([labels, self.queue_labels])
            self._contrast_cache = (rest, rest_labels)
            self.enqueue(k, labels)
        return self.head.loss(feats, data_samples, torch.cat([q, rest]),
                              torch.cat([labels, rest_labels]))
