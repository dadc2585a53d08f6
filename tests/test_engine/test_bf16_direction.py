"""bf16 autocast keeps the direction of the continuous-time gradients.

The continuous-time objectives (sCT and sCD in TrigFlow, continuous CT and
CD) take their tangent from a float32 JVP with autocast off, while the
forward pass that carries the gradient runs in bf16. The gradient pairs
that tangent with the network's Jacobian, and the tangent can be small
beside the output: sCM's normalised ``g / (||g|| + c)`` has elements of
about ``1 / sqrt(D)``, 0.009 at ImageNet-64's ``D = 12,288``, while bf16
rounds an output of rms 1 (a trained network's) by up to 0.004. A
stop-gradient ``F^-`` taken from a second, float32 evaluation leaves that
rounding in ``F_theta - F^-`` and turns the gradient; the detached value of
the gradient-carrying forward leaves exactly zero there.

Here a small ADM UNet on 64x64x3 images, its output layer scaled to rms 1,
trains through the real models, objectives and JVP: the gradient of its
parameters under ``torch.autocast('cpu', dtype=torch.bfloat16)`` must point
where the float32 one does (cosine >= 0.999), with the same random draws.
Discrete CT is the control: its target sits at another noise level, far
beyond the rounding.
"""
import pytest
import torch
import torch.nn.functional as F

from mmcm.registry import MODELS

UNET = dict(type='ADMUNet', image_size=64, in_channels=3, out_channels=3,
            model_channels=32, channel_mult=(1, 2, 2), num_res_blocks=1,
            attention_resolutions=(16, ), num_head_channels=32,
            use_scale_shift_norm=True)
TRIGFLOW = dict(type='TrigFlowParameterisation')
SCM = dict(objective=dict(type='SCMObjective', warmup_steps=0),
           log_variance=dict(embedding='fourier'))
CONTINUOUS = dict(objective=dict(type='ContinuousConsistencyObjective'))


def model_cfg(parameterisation=None, **training):
    """A consistency model of ``UNET`` with the ``training`` block."""
    return dict(type='ConsistencyModel', network=UNET,
                parameterisation=parameterisation,
                training=dict(training, averages=dict(ema_decays=(0.9, ))))


MODEL_CFGS = {
    'sCT': model_cfg(TRIGFLOW, **SCM),
    'sCD': model_cfg(TRIGFLOW, **SCM, teacher=dict()),
    'continuous-CT': model_cfg(**CONTINUOUS),
    'continuous-CD': model_cfg(**CONTINUOUS, teacher=dict()),
    'discrete-CT': model_cfg(
        objective=dict(type='ConsistencyObjective', distance='l2'),
        curriculum=dict(type='ConsistencyCurriculum',
                        scales=dict(type='FixedScales', scales=18))),
}


def build(kind):
    """The model, with online, target and teacher networks alike and an
    output of rms 1 (random weights give about 0.02)."""
    torch.manual_seed(0)
    model = MODELS.build(MODEL_CFGS[kind]).train()
    unet, out = model.unet, model.unet.out[-1]
    probe = torch.randn(2, 3, 64, 64), torch.tensor([0.5, 1.0])
    with torch.no_grad():
        out.weight.normal_()
        out.weight.div_(unet(*probe).square().mean().sqrt())
        assert unet(*probe).square().mean().sqrt() == pytest.approx(1, 1e-3)
    for name in ('target_unet', 'teacher'):
        if getattr(model, name, None) is not None:
            getattr(model, name).load_state_dict(unet.state_dict())
    return model


def loss_gradient(model, images, bf16):
    """The flattened gradient of the online network's parameters."""
    torch.manual_seed(1)  # the same draws in both precisions
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
        loss = model.loss(dict(img=images))['loss']
    params = list(model.unet.parameters())
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).flatten()
                      for g, p in zip(grads, params)])


@pytest.mark.parametrize('kind', list(MODEL_CFGS))
def test_bf16_gradient_points_where_fp32_does(kind):
    model = build(kind)
    images = torch.rand(2, 3, 64, 64,
                        generator=torch.Generator().manual_seed(2)) * 2 - 1
    assert images[0].numel() == 12288
    fp32 = loss_gradient(model, images, bf16=False)
    bf16 = loss_gradient(model, images, bf16=True)
    assert not torch.equal(fp32, bf16)  # the network did run in bf16
    cosine = F.cosine_similarity(fp32, bf16, dim=0).item()
    assert cosine >= 0.999, cosine
