"""The one settings object, read from ``RAG_``-prefixed environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; invalid values fail at start-up, not mid-request."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    index_dir: Path = Path("var/index")
    seeds_dir: Path = Path("seeds")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    top_k: int = Field(5, ge=1, le=20, description="passages returned when a request names none")
    read_k: int = Field(
        8, ge=1, le=50, description="chunks the reader looks at (at least top_k are read)"
    )

    abstain_threshold: float = Field(0.3, ge=0.0, le=1.0, description="answer only at or above")
    cite_threshold: float = Field(
        0.3, ge=0.0, le=1.0, description="further articles are cited at or above this support"
    )
    torch_threads: int = Field(1, ge=1, le=64)


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, read once; tests build their own ``Settings``."""
    return Settings()
