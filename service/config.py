"""The one settings object, read from ``RAG_``-prefixed environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.embed import DEFAULT_BACKEND


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

    abstain_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="answer only at or above this confidence (unset: the reader's own, chosen "
        "on dev questions for an answered precision of 0.9)",
    )
    cite_threshold: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="further articles stating the same answer are cited at or above this confidence",
    )
    torch_threads: int = Field(1, ge=1, le=64, description="encoder threads (torch or ONNX)")
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        DEFAULT_BACKEND,
        description="the model through torch, ONNX Runtime, or int8 ONNX (measured: same eval "
        "F1 and recall@5, 2x faster; python -m eval.bench)",
    )
    model_dir: Path = Field(
        Path("var/models/all-MiniLM-L6-v2"), description="where ONNX exports of the model go"
    )

    workers: int = Field(
        2,
        ge=1,
        le=32,
        description="server processes sharing the port, each with its own model and GIL "
        "(measured on 2 cores: 2 processes ~1.9x the requests/s of one)",
    )
    worker_threads: int | None = Field(
        None,
        ge=1,
        le=64,
        description="questions one process answers at once without batching "
        "(unset: 2 for a single process, 1 per process when there are several)",
    )
    batching: bool = Field(
        True,
        description="one encoder thread per process takes the questions waiting together and "
        "/ask awaits it (measured at 16 clients: ~15% less CPU per request than a thread per "
        "request); off: the one-request-at-a-time baseline",
    )
    batch_max: int = Field(32, ge=1, le=512)
    batch_wait_ms: float = Field(0.0, ge=0, le=50, description="wait for more questions (0: none)")
    embed_cache_size: int = Field(
        1024, ge=0, le=1_000_000, description="LRU of question vectors and analyses"
    )

    max_body_bytes: int = Field(16384, ge=1024, le=10_000_000, description="larger bodies get 413")
    max_in_flight: int = Field(
        64,
        ge=1,
        le=10_000,
        description="questions one process answers at once, from HTTP and Slack together; "
        "beyond it /ask is 503 + Retry-After and Slack says it is busy",
    )
    request_timeout_s: float = Field(
        10.0, gt=0, le=300, description="past it /ask answers 504 (Slack: says it took too long)"
    )
    body_timeout_s: float = Field(
        5.0, gt=0, le=300, description="a request body must arrive within this, else 408"
    )
    header_timeout_s: float = Field(
        5.0,
        gt=0,
        le=300,
        description="a request's headers must arrive within this of its first byte or of the "
        "connection opening, else the connection is closed (slow-header clients)",
    )
    reload_interval_s: float = Field(
        2.0,
        ge=0,
        le=3600,
        description="how often each worker looks for a new index generation (0: only on "
        "SIGHUP); a new one is verified in the background and swapped in between requests",
    )
    drain_seconds: float = Field(
        2.0, ge=0, le=60, description="after SIGTERM, /readyz is 503 this long before closing"
    )

    # Slack: the bot is mounted only when both the token and the signing secret are set.
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "RAG_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "RAG_SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "RAG_SLACK_APP_TOKEN")
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "RAG_SLACK_API_URL"),
    )
    slack_ephemeral: bool = Field(
        True, description="/ask answers only the asker, with a Share button"
    )
    slack_dedup_seconds: int = Field(600, ge=600, le=86400, description="retried events ignored")
    feedback_db: Path = Path("var/feedback.sqlite3")

    @property
    def threads_per_worker(self) -> int:
        if self.worker_threads is not None:
            return self.worker_threads
        return 2 if self.workers == 1 else 1

    @property
    def slack_enabled(self) -> bool:
        """Both secrets present and non-empty: an empty secret never means 'accept everything'."""
        return bool(
            self.slack_bot_token
            and self.slack_bot_token.get_secret_value().strip()
            and self.slack_signing_secret
            and self.slack_signing_secret.get_secret_value().strip()
        )


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, read once; tests build their own ``Settings``."""
    return Settings()
