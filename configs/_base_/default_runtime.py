# Runtime shared by mmlt configs (mmpretrain scope + mmlt components).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmlt'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=10, max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # the per-class train counts for losses, heads and ShotAccuracy
    class_counts=dict(type='ClassCountsHook'),
    # stop at the first NaN/inf loss, naming the terms and the parameters,
    # before a NaN checkpoint is written
    finite_loss=dict(type='FiniteLossHook'),
    # DDP: average BatchNorm running stats over ranks at each epoch end
    # (before CheckpointHook and validation), so in-training validation and
    # the checkpoint see the same model; a no-op without DDP
    sync_buffers=dict(type='SyncBuffersHook'),
)

# the long-tailed protocol: top-1/5, many/medium/few, mean per-class, ECE
val_evaluator = dict(type='ShotAccuracy', topk=(1, 5))
test_evaluator = val_evaluator

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
# Report the last epoch: no best-on-test checkpoint selection.
randomness = dict(seed=0, deterministic=False)
