"""Errors that several layers raise."""


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model."""
