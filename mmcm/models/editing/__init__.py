"""Zero-shot editing: data-consistency projections and Algorithm 4."""
from .algorithms import edit_multistep, slerp
from .operators import (LUMA_WEIGHTS, Colorization, EditOperator, Inpainting,
                        StrokeGuidance, SuperResolution)

EDIT_OPERATORS = {
    op.task: op
    for op in (Inpainting, Colorization, SuperResolution, StrokeGuidance)
}
EDIT_TASKS = tuple(EDIT_OPERATORS)

__all__ = [
    'EDIT_OPERATORS', 'EDIT_TASKS', 'LUMA_WEIGHTS', 'Colorization',
    'EditOperator', 'Inpainting', 'StrokeGuidance', 'SuperResolution',
    'edit_multistep', 'slerp'
]
