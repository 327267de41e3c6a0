# The plain cross-entropy baseline of the `make demo` job: the same model,
# data, augmentation, schedule and seed as the Balanced Softmax demo config,
# only the loss differs (so the demo's tail gain is the loss's alone).
_base_ = ['./balanced-softmax_r32_1xb64-40e_cifar10lt-demo.py']
model = dict(
    head=dict(
        loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
