# One-step sampling (the model base's default) from the bundled digits
# model (gray 16x16), trained for ten minutes on two CPU cores with
# configs/consistency_models/train/cm-ct_adm-unet_1xb64-1k_digits-16x16.py
# (checkpoints/cm-ct_digits-16x16.pt: its online weights, official format).
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/evaluation/generation.py',
    '../../_base_/evaluation/digits-16x16.py',
    '../../_base_/default_runtime.py'
]

# The digits' evaluation: all 1,797 for tools/test.py, a 10x10 grid.
test_dataloader = dict(
    dataset=dict(num_samples=1797, num_classes=10, balanced_labels=True))
val_dataloader = dict(
    dataset=dict(num_samples=500, num_classes=10, balanced_labels=True))
val_cfg = dict(grid_size=100)
