# Training data on ImageNet-64: the images (global batch 2048 on 8 GPUs), the
# metrics against OpenAI's reference batch and the runtime. A training
# config names this and a method recipe (recipes/<method>_imagenet-64x64.py)
# that brings the model, the schedule and the validation samplers.
_base_ = [
    '../datasets/imagenet-64x64.py',
    '../evaluation/imagenet-64x64.py',
    '../default_runtime.py'
]
