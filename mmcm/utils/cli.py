"""Small argument parsers shared by the command-line tools."""
import argparse


def int_list(text: str) -> list:
    """``'0,22,39'`` -> ``[0, 22, 39]`` (an argparse ``type``)."""
    try:
        return [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected comma-separated integers, got {text!r}') from None
