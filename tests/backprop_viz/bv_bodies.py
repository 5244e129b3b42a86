"""Session bodies the Python API's tests share."""

from __future__ import annotations

from typing import Any

from app import schemas

# The seed's 2-2-1 example (SessionCreate's second example): one sample, explicit weights, half_sse, η = 0.5.
SEED: dict[str, Any] = schemas.SessionCreate.model_config["json_schema_extra"]["examples"][1]

# Xor: 40 samples (32 to train), 2-4-1, batches of 8.
XOR: dict[str, Any] = {
    "layers": [2, 4, 1],
    "dataset": {"builtin": "xor", "samples": 40, "noise": 0.0, "seed": 1},
    "optimizer": {"name": "sgd", "learning_rate": 0.5},
    "batch_size": 8,
}
