"""Paths and settings, from the environment with sensible defaults."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    index_dir: Path
    source_dir: Path

    @classmethod
    def from_env(cls, index_dir: str | os.PathLike | None = None,
                 source_dir: str | os.PathLike | None = None) -> "Config":
        index = index_dir or os.environ.get("VNSEARCH_INDEX") or PROJECT_ROOT / "index_data" / "index"
        source = source_dir or os.environ.get("VNSEARCH_SOURCE") or PROJECT_ROOT / "index_data" / "articles"
        return cls(index_dir=Path(index), source_dir=Path(source))


def is_loopback(host: str) -> bool:
    """Whether a server bound to `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
