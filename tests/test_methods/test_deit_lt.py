# Copyright (c) mmlt contributors. All rights reserved.
"""DeiT-LT end to end on the shipped CIFAR-10-LT demo set (real images): a
tiny distilled ViT with a (tiny) ResNet-32 teacher checkpoint trains across
the DRW switch, resumes past it in the switched state, reports the CLS and
DIST branches, and 2-process CPU DDP crosses the switch. Also the recipes
of the shipped configs."""
import copy
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.registry import PARAM_SCHEDULERS
from mmengine.runner import Runner

import mmlt  # noqa: F401
from mmlt.registry import MODELS
from .._dist import dist_train

REPO = Path(__file__).resolve().parents[2]
EVIDENCE = ('configs/deit_lt/'
            'deit-lt_deit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py')
EVIDENCE_CE = 'configs/deit_lt/ce_vit-t6-p4_1xb128-50e_cifar10lt-if100-32px.py'
TEACHER10 = ('configs/deit_lt/teachers/'
             'ldam-drw-sam_r32_1xb128-200e_cifar10lt-if100.py')
pytestmark = pytest.mark.filterwarnings(
    'ignore:ShotAccuracy. no test class:UserWarning')
TINY_VIT = dict(
    embed_dims=24, num_layers=1, num_heads=2, feedforward_channels=48)


def _teacher_ckpt(tmp_path):
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(TEACHER10).model)
    ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, ckpt)
    return str(ckpt)


def _cfg(tiny_cfg,
         work_dir,
         teacher_ckpt,
         epochs,
         switch,
         path=EVIDENCE,
         **kwargs):
    cfg = tiny_cfg(path, work_dir, epochs=epochs, **kwargs)
    cfg.model.backbone.arch = dict(TINY_VIT)
    cfg.model.head.in_channels = TINY_VIT['embed_dims']
    if 'teacher' in cfg.model:
        cfg.model.teacher.checkpoint = teacher_ckpt
    (hook, ) = cfg.custom_hooks
    hook.pop('start_ratio')
    hook.start_epoch = switch
    cfg.train_dataloader.batch_size = 10  # 2 iterations per epoch
    # 1 warm-up epoch, then the cosine to max_epochs
    cfg.param_scheduler[0].end = 1
    cfg.param_scheduler[1].begin = 1
    return cfg


class _Interrupted(Exception):
    pass


class StopAfterEpoch(Hook):
    """Interrupts training after an epoch (and its checkpoint)."""
    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, epochs):
        self.epochs = epochs

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epochs:
            raise _Interrupted


def _run(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    MMLogger.get_current_instance().setLevel('WARNING')
    return runner


def _switched(runner):
    model = runner.model
    reweighted = model.head.distill_loss.weight is not None
    mixing_off = model.data_preprocessor.batch_augments is None
    return reweighted, mixing_off, type(model.head.loss_module).__name__


def test_train_across_the_switch_and_resume_past_it(tiny_cfg, tmp_path):
    ckpt = _teacher_ckpt(tmp_path)
    # a 3-epoch run interrupted after 2 epochs in the first recipe
    cfg = _cfg(tiny_cfg, tmp_path, ckpt, epochs=3, switch=2)
    first = Runner.from_cfg(cfg)
    first.register_hook(StopAfterEpoch(2))
    with pytest.raises(_Interrupted):
        first.train()
    assert first.epoch == 1
    assert _switched(first) == (False, False, 'LabelSmoothLoss')
    assert not first.model.teacher.model.training
    # resumed in a new runner: the third epoch is the DRW recipe
    cfg = _cfg(tiny_cfg, tmp_path, ckpt, epochs=3, switch=2)
    cfg.resume = True
    runner = _run(cfg)
    assert _switched(runner) == (True, True, 'CrossEntropyLoss')
    # the cosine (no `end`) ends at max_epochs: near eta_min in the last
    # iteration (it would stay at 5e-4 with an unbounded `end`)
    lr = runner.optim_wrapper.optimizer.param_groups[0]['lr']
    assert 1e-5 <= lr < 1e-4
    text = sorted(tmp_path.rglob('*.log'))[-1].read_text()
    assert 'Resuming' in text or 'resumed' in text.lower()
    assert 'class re-weighting on at epoch 3' in text
    assert 'Switch batch augments at epoch 3' in text
    assert 'Switch loss at epoch 3' in text
    assert re.search(r'Epoch\(train\)\s+\[3\].*loss_cls.*loss_dist', text)
    for key in ('lt/top1', 'lt/cls_top1', 'lt/dist_top1', 'lt/dist_few',
                'lt/head', 'lt/cls_tail'):
        assert re.search(rf'Epoch\(val\).*{key}: ', text), key
    # the teacher is not part of the student's checkpoint
    state = torch.load(
        tmp_path / 'epoch_3.pth', map_location='cpu')['state_dict']
    assert not any('teacher' in k for k in state)
    assert any(k.startswith('backbone.dist_token') for k in state)


def test_plain_ce_twin_trains_with_the_same_switch(tiny_cfg, tmp_path):
    cfg = _cfg(tiny_cfg, tmp_path, None, epochs=2, switch=1, path=EVIDENCE_CE)
    runner = _run(cfg)
    assert runner.model.data_preprocessor.batch_augments is None
    assert type(runner.model.head.loss_module).__name__ == 'CrossEntropyLoss'
    assert not hasattr(runner.model, 'teacher')


def test_dist_train_across_the_switch(tiny_cfg, tmp_path):
    # 40 train images, batch 10 per rank: 2 iterations per rank and epoch
    ckpt = _teacher_ckpt(tmp_path)
    cfg = _cfg(
        tiny_cfg, tmp_path / 'work', ckpt, epochs=2, switch=1, per_class=4)
    config = str(tmp_path / 'deit_lt.py')
    cfg.dump(config)
    out = dist_train(config)
    for epoch in (1, 2):
        assert re.search(
            rf'Epoch\(train\)\s+\[{epoch}\]\[2/2\].*loss_cls.*loss_dist',
            out), out[-3000:]
    assert 'class re-weighting on at epoch 2' in out
    assert 'Switch loss at epoch 2' in out
    assert re.search(r'Epoch\(val\).*lt/dist_top1', out), out[-3000:]
    assert (tmp_path / 'work' / 'epoch_2.pth').exists()


def _iter_lrs(cfg, max_epochs, epoch_length):
    """The lr of every iteration, with the Runner's default ``end``."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                                lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = []
    for s in copy.deepcopy(cfg.param_scheduler):
        s.setdefault('end', max_epochs)
        schedulers.append(
            PARAM_SCHEDULERS.build(
                s,
                default_args=dict(
                    optimizer=optimizer, epoch_length=epoch_length)))
    lrs = []
    for _ in range(max_epochs * epoch_length):
        lrs.append(optimizer.param_groups[0]['lr'])
        for scheduler in schedulers:
            scheduler.step()
    return lrs


# config: (lr, accumulation, epochs, DRW epoch, teacher input size,
#          index cut-offs, classes)
CIFAR10 = (2.5e-4, 4, 1200, 1100, 32, (3, 7), 10)
CIFAR100 = (2.5e-4, 4, 1200, 1100, 32, (36, 71), 100)
STUDENTS = {
    'deit-lt_deit-b16_2xb128-1200e_cifar10lt-if100.py':
    CIFAR10,
    'deit-lt_deit-b16_2xb128-1200e_cifar10lt-if50.py':
    CIFAR10,
    'deit-lt_deit-b16_2xb128-1200e_cifar100lt-if100.py':
    CIFAR100,
    'deit-lt_deit-b16_2xb128-1200e_cifar100lt-if50.py':
    CIFAR100,
    'deit-lt_deit-b16_4xb128-1400e_imagenetlt.py':
    (5e-4, 4, 1400, 1200, None, (390, 835), 1000),
    'deit-lt_deit-b16_4xb128-1000e_inat2018.py':
    (5e-4, 4, 1000, 900, None, (842, 4543), 8142),
}


@pytest.mark.parametrize('name', sorted(STUDENTS))
def test_student_recipes(name):
    lr, accum, epochs, drw, size, cutoffs, classes = STUDENTS[name]
    cfg = Config.fromfile(str(REPO / 'configs' / 'deit_lt' / name))
    model = cfg.model
    assert model.type == 'TeacherStudentClassifier'
    assert model.backbone.type == 'FastDistilledVisionTransformer'
    assert model.backbone.arch == 'deit-base'
    assert model.backbone.drop_path_rate == 0.1
    assert model.head.type == 'DeiTLTHead' and model.head.alpha == 0.5
    assert model.head.num_classes == classes == cfg.data_preprocessor[
        'num_classes']
    assert model.head.loss.label_smooth_val == 0.1
    assert model.head.distill_loss.distill_type == 'hard'
    assert [a['type'] for a in model.train_cfg.augments] == ['Mixup', 'CutMix']
    # the teacher: a shipped config, a documented checkpoint path, bicubic
    teacher = model.teacher
    assert Path(teacher.config).is_file(), teacher.config
    assert teacher.checkpoint.startswith('work_dirs/')
    teacher_cfg = Config.fromfile(teacher.config)
    assert teacher_cfg.model.head.num_classes == classes
    assert teacher.interpolation == 'bicubic'
    assert teacher.get('input_size') == size
    # AdamW, lr 5e-4 x (per-GPU batch x GPUs) / 512, accumulation not in it
    optim = cfg.optim_wrapper
    assert optim.optimizer.type == 'AdamW' and optim.optimizer.eps == 1e-8
    assert optim.optimizer.weight_decay == 0.05
    assert optim.optimizer.lr == pytest.approx(lr)
    assert optim.accumulative_counts == accum
    gpus = int(re.search(r'_(\d+)xb(\d+)-', name).group(1))
    batch = cfg.train_dataloader.batch_size
    assert lr == pytest.approx(5e-4 * batch * gpus / 512)
    assert cfg.auto_scale_lr.base_batch_size == batch * gpus
    assert cfg.train_dataloader.sampler.type == 'RepeatAugSampler'
    assert cfg.train_cfg.max_epochs == epochs
    (hook, ) = cfg.custom_hooks
    assert hook.type == 'DRWSwitchRecipeHook' and hook.start_epoch == drw
    assert cfg.val_evaluator.index_cutoffs == cutoffs
    assert cfg.val_evaluator.branches == ('cls', 'dist')
    # 5 warm-up epochs from 1e-6 to lr, cosine to 1e-5, per iteration
    lrs = _iter_lrs(cfg, epochs, epoch_length=2)
    assert lrs[0] == pytest.approx(1e-6)
    assert lrs[10] == pytest.approx(lr)
    # linear in the iteration (mmengine reaches the end factor at end - 1)
    assert lrs[3] == pytest.approx(1e-6 + (lr - 1e-6) * 3 / 9)
    assert lrs[-1] == pytest.approx(1e-5, rel=1e-3)
    assert min(lrs[10:]) >= 1e-5 - 1e-12
    # eval: Resize 256 (bicubic) + CenterCrop 224
    test = cfg.test_dataloader.dataset.pipeline
    resize = [t for t in test if t['type'] == 'ResizeEdge']
    assert resize[0]['scale'] == 256 and resize[0]['interpolation'] == \
        'bicubic'
    crop = [t for t in test if t['type'] == 'CenterCrop']
    assert crop[0]['crop_size'] == 224
    train = {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}
    assert train['RandomResizedCrop']['scale'] == 224
    assert train['RandAugment']['magnitude_level'] == 9
    assert train['RandAugment']['magnitude_std'] == 0.5
    assert train['RandomErasing']['erase_prob'] == 0.25


def test_evidence_twins_differ_only_in_the_model():
    deit = Config.fromfile(EVIDENCE)
    ce = Config.fromfile(EVIDENCE_CE)
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg', 'data_preprocessor',
                'default_hooks', 'randomness'):
        assert deit[key] == ce[key], key
    assert deit.model.train_cfg == ce.model.train_cfg
    assert deit.model.backbone.arch == ce.model.backbone.arch
    # the same (fast) attention and drop-path blocks on both sides
    assert (deit.model.backbone.type, ce.model.backbone.type) == \
        ('FastDistilledVisionTransformer', 'FastVisionTransformer')
    assert deit.model.head.loss == ce.model.head.loss
    (d_hook, ), (c_hook, ) = deit.custom_hooks, ce.custom_hooks
    assert d_hook.start_ratio == c_hook.start_ratio == 11 / 12
    assert not c_hook.reweight
