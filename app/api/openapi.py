"""The OpenAPI document states every limit the server enforces, with this server's values: the schema's own
bounds (layer counts and widths, sample counts, rows, passes) are set from the settings, and the description
lists every limit with its setting, so a client can read them before it is refused."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.budget import describe
from app.config import Settings


def limits_table(settings: Settings) -> str:
    """Every limit as a Markdown table: what it bounds, this server's value, the setting that changes it."""
    rows = [
        ("layers (input and output included)", f"{settings.max_layers}", "MAX_LAYERS"),
        ("neurons per layer", f"{settings.max_layer_width:,}", "MAX_LAYER_WIDTH"),
        ("weights and biases of a network", f"{settings.max_parameters:,}", "MAX_PARAMETERS"),
        (
            "… of a network stepped phase by phase",
            f"{settings.max_interactive_parameters:,}",
            "MAX_INTERACTIVE_PARAMETERS",
        ),
        ("passes one step goes through", f"{settings.max_step_passes:,}", "MAX_STEP_PASSES"),
        ("records one step answers", f"{settings.max_step_records:,}", "MAX_STEP_RECORDS"),
        ("bytes of records one step answers", describe(settings.max_step_answer_bytes), "MAX_STEP_ANSWER_BYTES"),
        ("passes one training job runs", f"{settings.max_job_passes:,}", "MAX_JOB_PASSES"),
        ("training jobs at once (429)", f"{settings.max_concurrent_jobs}", "MAX_CONCURRENT_JOBS"),
        ("sessions playing at once", f"{settings.max_concurrent_plays}", "MAX_CONCURRENT_PLAYS"),
        ("live sessions (the idle longest is evicted)", f"{settings.max_sessions}", "MAX_SESSIONS"),
        ("memory of all sessions at their peak (429)", describe(settings.memory_budget_bytes), "MEMORY_BUDGET_BYTES"),
        ("step-back history per session", describe(settings.history_bytes), "HISTORY_BYTES"),
        ("a JSON body (413)", describe(settings.max_json_bytes), "MAX_JSON_BYTES"),
        ("an imported session document (413)", describe(settings.max_import_bytes), "MAX_IMPORT_BYTES"),
        ("an uploaded CSV (413)", describe(settings.max_upload_bytes), "MAX_UPLOAD_BYTES"),
        ("rows of a CSV, and of one predict request", f"{settings.max_upload_rows:,}", "MAX_UPLOAD_ROWS"),
        ("columns of a CSV", f"{settings.max_upload_columns:,}", "MAX_UPLOAD_COLUMNS"),
        ("samples of a built-in data set", f"{settings.max_builtin_samples:,}", "MAX_BUILTIN_SAMPLES"),
        ("a body's silence before it is dropped (408)", f"{settings.body_idle_seconds:g} s", "BODY_IDLE_SECONDS"),
        ("a whole body's arrival (408)", f"{settings.body_seconds:g} s", "BODY_SECONDS"),
        (
            "WebSocket clients of one session / in all",
            f"{settings.max_ws_clients_per_session} / {settings.max_ws_clients}",
            "MAX_WS_CLIENTS_PER_SESSION, _MAX_WS_CLIENTS",
        ),
        ("a WebSocket message", describe(settings.ws_max_message_bytes), "WS_MAX_MESSAGE_BYTES"),
    ]
    lines = ["| limit | value | setting (BACKPROP_VIZ_…) |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {setting} |" for what, value, setting in rows]
    return "\n".join(lines)


def state_limits(schema: dict[str, Any], settings: Settings) -> None:
    """Put this server's limits into the generated document (in place)."""
    components = schema.get("components", {}).get("schemas", {})

    def prop(model: str, name: str) -> dict[str, Any] | None:
        return components.get(model, {}).get("properties", {}).get(name)

    layers = prop("SessionCreate", "layers")
    if layers is not None:
        layers["maxItems"] = settings.max_layers
        layers.setdefault("items", {})["maximum"] = settings.max_layer_width
    samples = prop("BuiltinDataset", "samples")
    if samples is not None:
        for option in samples.get("anyOf", [samples]):
            if option.get("type") == "integer":
                option["maximum"] = settings.max_builtin_samples
    for model in ("StepRequest",):
        count = prop(model, "count")
        if count is not None:
            count["x-max-passes"] = settings.max_step_passes
    passes = prop("TrainRequest", "passes")
    if passes is not None:
        for option in passes.get("anyOf", [passes]):
            if option.get("type") == "integer":
                option["maximum"] = settings.max_job_passes
    inputs = prop("PredictRequest", "inputs")
    if inputs is not None:
        inputs["maxItems"] = settings.max_upload_rows
    info = schema.setdefault("info", {})
    info["description"] = (
        info.get("description", "") + "\n\n**Limits** (each refusal names its setting):\n\n" + (limits_table(settings))
    )


def install(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` state the limits (generated once, as FastAPI does)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            state_limits(generate(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
