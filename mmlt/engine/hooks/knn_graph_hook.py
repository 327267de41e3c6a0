# Copyright (c) mmlt contributors. All rights reserved.
import copy
from typing import Optional, Union

import torch
from mmengine.dist import broadcast_object_list, get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.utils.data import DataLoader

from mmlt.registry import HOOKS


@HOOKS.register_module()
class KNNGraphHook(Hook):
    """Build SP²OT's kNN similarity graph from the initial backbone features.

    Before training, the model (in eval mode, i.e. with its initial
    weights) embeds every training image with ``dataloader`` (the training
    set with the *test* pipeline, not shuffled), and a sparse kNN Gaussian
    graph (:meth:`mmlt.ot.KNNGraph.from_features`, ``k`` neighbours, width
    ``sigma``) is handed to every pseudo-labeler that ``needs_graph``. Under
    DDP each rank embeds its shard, rank 0 builds the graph and every rank
    receives it. A graph restored from a checkpoint is kept.

    Args:
        dataloader (dict | DataLoader, optional): Loader over the training
            set with the test pipeline, not shuffled; its samples must carry
            ``sample_idx`` (the index in the training set). Defaults to the
            config's ``train_dataloader`` with the ``val_dataloader``
            dataset's pipeline and batch size (``DefaultSampler`` without
            shuffling, ``default_collate``).
        k (int): Neighbours per sample. Defaults to 20.
        sigma (float): Kernel width. Defaults to 2.0.
    """
    priority = 'NORMAL'

    def __init__(self,
                 dataloader: Union[dict, DataLoader, None] = None,
                 k: int = 20,
                 sigma: float = 2.0,
                 chunk_size: Optional[int] = None):
        self.dataloader = dataloader
        self.k = k
        self.sigma = sigma
        self.chunk_size = chunk_size

    @staticmethod
    def default_loader_cfg(cfg) -> dict:
        """The training set with the test pipeline, in a fixed order."""
        train = copy.deepcopy(cfg.train_dataloader)
        val = cfg.get('val_dataloader') or cfg.get('test_dataloader')
        if not val:
            raise RuntimeError('KNNGraphHook needs `dataloader` or a '
                               'val_dataloader whose pipeline it can use.')
        dataset = dict(train['dataset'])
        dataset['pipeline'] = copy.deepcopy(val['dataset']['pipeline'])
        return dict(
            batch_size=val.get('batch_size', train['batch_size']),
            num_workers=train.get('num_workers', 0),
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'))

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        labelers = [
            m for m in model.modules() if getattr(m, 'needs_graph', False)
        ]
        if not labelers:
            return
        from mmlt.models.utils import gather_rows
        from mmlt.ot import KNNGraph
        loader = self.dataloader
        if loader is None:
            loader = self.default_loader_cfg(runner.cfg)
        if isinstance(loader, dict):
            loader = runner.build_dataloader(loader, seed=runner.seed)
        num = len(loader.dataset)
        train_len = len(runner.train_dataloader.dataset)
        if num != train_len:
            raise RuntimeError(
                f'KNNGraphHook: its dataloader has {num} samples but the '
                f'training set has {train_len}; it must be the training set.')
        was_training = model.training
        model.eval()
        feats, indices = [], []
        with torch.no_grad():
            for data in loader:
                data = model.data_preprocessor(data, False)
                inputs = data['inputs']
                if isinstance(inputs, (list, tuple)):
                    inputs = inputs[0]
                feat = model.extract_feat(inputs).float()
                idx = torch.tensor(
                    [int(s.sample_idx) for s in data['data_samples']],
                    device=feat.device)
                feats.append(gather_rows(feat)[0].cpu())
                indices.append(gather_rows(idx)[0].cpu())
        model.train(was_training)
        graph = [None]
        if get_rank() == 0:
            idx = torch.cat(indices)
            feat = torch.cat(feats)
            ordered = torch.zeros(num, feat.shape[1])
            seen = torch.zeros(num, dtype=torch.bool)
            ordered[idx] = feat  # DDP padding repeats samples: same rows
            seen[idx] = True
            if not bool(seen.all()):
                raise RuntimeError(
                    f'KNNGraphHook: {int((~seen).sum())} of {num} training '
                    'samples were not embedded; the dataloader must cover '
                    'the whole training set.')
            built = KNNGraph.from_features(ordered, self.k, self.sigma,
                                           self.chunk_size)
            graph[0] = (built.indices, built.values)
        broadcast_object_list(graph, src=0)
        for labeler in labelers:
            labeler.set_graph(KNNGraph(*graph[0]))
        runner.logger.info(
            f'KNNGraphHook: kNN graph over {num} training samples '
            f'(k={self.k}, sigma={self.sigma}, feature dim '
            f'{feats[0].shape[1]}).')
