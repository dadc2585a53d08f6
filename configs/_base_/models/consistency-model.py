# The consistency model every model base builds on: the consistency
# parameterisation (the boundary condition f(x, sigma_min) = x) with the
# noise range of the official checkpoints and EDM (sigma in [0.002, 80],
# sigma_data = 0.5, Karras grid rho = 7), and one-step sampling with one
# noise generator for the batch. A network base (cm_adm-unet_*.py) adds
# `network`; a method (methods/*.py) adds `training` and overrides what it
# changes, e.g. `parameterisation=dict(type='EDMParameterisation')`.
model = dict(
    type='ConsistencyModel',
    data_preprocessor=dict(type='ConsistencyDataPreprocessor'),
    parameterisation=dict(
        type='ConsistencyParameterisation',
        sigma_min=0.002,
        sigma_max=80.0,
        sigma_data=0.5,
        rho=7.0),
    sampling_cfg=dict(
        sampler='onestep', generator='determ', seed=42, clip_denoised=True))
