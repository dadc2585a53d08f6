"""Readable ``repr`` of configured objects."""


def plain_repr(obj, *names: str) -> str:
    """``TypeName(a=1, b=2)`` of the attributes ``names`` of ``obj``."""
    fields = ', '.join(f'{name}={getattr(obj, name)!r}' for name in names)
    return f'{type(obj).__name__}({fields})'
