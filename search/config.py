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
    opensearch: str | None = None  # an OpenSearch cluster's URL: the index is there, not in index_dir

    @classmethod
    def from_env(cls, index_dir: str | os.PathLike | None = None,
                 source_dir: str | os.PathLike | None = None, opensearch: str | None = None) -> "Config":
        """Options first, then VNSEARCH_INDEX, VNSEARCH_SOURCE, VNSEARCH_OPENSEARCH; an --index given
        explicitly wins over VNSEARCH_OPENSEARCH."""
        index = index_dir or os.environ.get("VNSEARCH_INDEX") or PROJECT_ROOT / "index_data" / "index"
        source = source_dir or os.environ.get("VNSEARCH_SOURCE") or PROJECT_ROOT / "index_data" / "articles"
        cluster = opensearch or (None if index_dir else os.environ.get("VNSEARCH_OPENSEARCH")) or None
        return cls(index_dir=Path(index), source_dir=Path(source), opensearch=cluster)


def is_loopback(host: str) -> bool:
    """Whether a server bound to `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
