"""All settings in one object, read from the environment with the prefix BACKPROP_VIZ_ (e.g. BACKPROP_VIZ_PORT)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Server settings; every field can be set as BACKPROP_VIZ_<FIELD NAME IN CAPITALS>."""

    model_config = SettingsConfigDict(env_prefix="BACKPROP_VIZ_", extra="ignore")

    host: str = Field("127.0.0.1", description="address to bind; 0.0.0.0 exposes the app to the network")
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Field(Path("data"), description="where sessions and uploaded data sets are kept")
    token: str | None = Field(None, description="when set, every REST call and WebSocket must present it")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="extra origins whose pages may open the WebSocket (same-origin is always allowed)",
    )
    persist: bool = Field(True, description="keep sessions and data sets in SQLite under data_dir")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header values accepted besides localhost names, loopback and the bound address "
        "(DNS rebinding); '*.example.org' matches its subdomains, '*' any host",
    )
    lessons_dir: Path | None = Field(
        None, description="a directory of a teacher's own lesson files, read at start-up beside the shipped ones"
    )
    frame_ancestors: list[str] = Field(
        default_factory=lambda: ["'self'"],
        description="CSP frame-ancestors sources: which pages may frame the page (its own origin; a notebook's)",
    )

    # Processes (backprop-viz serve --workers N): app/cluster/
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="app processes behind a router, each owning its sessions; 'auto': the CPUs this process may use",
    )
    shard: int | None = Field(
        None, ge=0, description="set by the router on each worker process it starts (ids get it as a prefix)"
    )
    cluster_dir: Path | None = Field(
        None, description="set by the router: the private directory of the workers' sockets (worker-<shard>.sock)"
    )

    # Sessions
    max_sessions: int = Field(100, ge=1, description="at the cap, the oldest idle session is evicted")
    session_ttl_seconds: float = Field(24 * 3600, gt=0, description="idle sessions expire after this")
    history_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="step-back memory per session")
    memory_budget_bytes: int = Field(
        4 * 1024**3, ge=64 * 1024 * 1024, description="what all sessions together may cost at their peak"
    )

    # Networks
    max_layers: int = Field(12, ge=2, description="layer count, input and output included")
    max_layer_width: int = Field(2048, ge=1)
    max_parameters: int = Field(3_000_000, ge=1, description="weights + biases of any network")
    max_interactive_parameters: int = Field(
        20_000, ge=1, description="weights + biases of a network that can be stepped phase by phase"
    )
    max_step_records: int = Field(5_000, ge=1, description="phase records one step command may answer")
    max_step_passes: int = Field(10_000, ge=1, description="passes one step command may go through, with records")
    max_step_answer_bytes: int = Field(
        8 * 1024 * 1024, ge=64 * 1024, description="bytes of phase records one step command may answer"
    )

    # Requests
    max_json_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="a JSON request body (but an import)")
    max_import_bytes: int = Field(32 * 1024 * 1024, ge=1024, description="an imported session document")
    body_idle_seconds: float = Field(10.0, gt=0, description="a request body that sends nothing this long is dropped")
    body_seconds: float = Field(60.0, gt=0, description="a whole request body must arrive within this")
    header_seconds: float = Field(10.0, gt=0, description="a request's headers must arrive within this")
    keep_alive_seconds: float = Field(5.0, gt=0, description="an idle keep-alive connection is closed after this")
    max_connections: int = Field(2048, ge=16, description="open connections and requests in all (503 beyond)")
    max_concurrent_uploads: int = Field(
        4, ge=1, description="CSV uploads and session imports streaming in at once (429 beyond)"
    )

    # WebSocket
    max_ws_clients_per_session: int = Field(256, ge=1, description="WebSocket clients of one session")
    max_ws_clients: int = Field(1024, ge=1, description="WebSocket clients in all")
    ws_max_message_bytes: int = Field(64 * 1024, ge=1024, description="a message a client sends")
    ws_backlog_bytes: int = Field(
        16 * 1024 * 1024, ge=64 * 1024, description="events waiting for one client before it gets a snapshot instead"
    )
    ws_compression: bool = Field(
        False, description="permessage-deflate on WebSockets: a third of the bytes, for a zlib pass per client"
    )
    ws_frames_per_second: float = Field(
        600.0, gt=0, description="play/sync frames sent per second to all clients together"
    )

    # Data
    max_upload_bytes: int = Field(128 * 1024 * 1024, ge=1, description="an uploaded file (MNIST as CSV is ~110 MB)")
    max_upload_rows: int = Field(100_000, ge=1)
    max_upload_columns: int = Field(1_000, ge=2)
    max_builtin_samples: int = Field(20_000, ge=4)
    max_datasets: int = Field(100, ge=1)

    # Training
    max_concurrent_jobs: int = Field(2, ge=1)
    max_concurrent_plays: int = Field(
        64, ge=1, description="sessions in play mode at once (they share the training threads' time in turn)"
    )
    training_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="threads that run every play and job slice in turn (app/scheduler.py); more than one pays "
        "off only for networks large enough that NumPy releases the GIL",
    )
    pin_cpu: bool = Field(
        True,
        description="keep each server process's event loop and training thread on one CPU (worker k on the k-th "
        "CPU it may use): their GIL hand-overs stay cheap (app/affinity.py); not with more than one training thread",
    )
    slice_seconds: float = Field(
        0.01, gt=0, le=1.0, description="work per play/job slice; interactive work waits for at most one"
    )
    max_job_passes: int = Field(10_000_000, ge=1)
    frame_rate: float = Field(30.0, gt=0, le=120, description="play-mode frames per second per client")
    diagnostics: bool = Field(
        True,
        description="layer statistics in play frames and state events, and flags events; off: only on request "
        "(GET …/diagnostics)",
    )
    diagnostics_rate: float = Field(5.0, gt=0, le=60, description="layer statistics measured per second, at most")
    landscape_max_work: int = Field(
        4_000_000_000,
        ge=1,
        description="multiply-adds one loss landscape may cost: (resolution² + resolution) × probe samples × "
        "parameters",
    )
    checkpoint_seconds: float = Field(1.0, gt=0, description="play/training checkpoint interval")
    checkpoint_bytes_per_second: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="a session whose checkpoint is large is saved at most once per its size over this rate",
    )

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: object) -> object:
        """'auto' (the Docker image's default): one worker per CPU this process may use (app/cluster/cpus.py)."""
        if isinstance(value, str) and value.strip().lower() == "auto":
            from app.cluster.cpus import usable_cpus

            return usable_cpus()
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _one_source_each(cls, sources: list[str]) -> list[str]:
        """Each entry is one CSP source expression ('self', an origin, a scheme): nothing that could end the
        directive or add another."""
        for source in sources:
            if not _CSP_SOURCE.fullmatch(source):
                raise ValueError(f"{source!r} is not one CSP source; give origins such as 'http://localhost:8888'")
        return sources


_CSP_SOURCE = re.compile(r"'(self|none)'|[A-Za-z][A-Za-z0-9+.-]*:(//[^\s;,']+)?|\*?[^\s;,'*]+(:\d+|:\*)?")
