"""The `vnsearch` command (also `python manage.py`): click commands over the `search` library,
kept out of `search/`, which knows nothing of click."""
from .commands import cli

__all__ = ["cli"]
