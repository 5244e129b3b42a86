"""A worker reading a data set another worker owns: a session created on worker 1 from a CSV uploaded to
worker 0 (the router sends new sessions to any worker, uploads to any worker).

The owner answers `GET /internal/datasets/{id}` on its socket with the CSV's bytes and parse options; this worker
parses them itself (as a restart does) and keeps the last few tables it read, asking the owner at each use
whether the data set is still there (`HEAD`), so a deleted one is refused everywhere, as with one process.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from urllib.parse import unquote

import httpx

from app.cluster.paths import socket_path
from app.config import Settings
from app.errors import NotFound, Unavailable
from app.shards import owner
from engine.datasets import CsvLimits, DatasetError, Table, parse_csv

CACHED_TABLES = 4  # data sets read from other workers kept parsed (a class shares one upload)
TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class Peers:
    """`lookup(id)`: the parsed table of a data set another worker owns (`registry.remote_table`)."""

    def __init__(self, settings: Settings) -> None:
        if settings.cluster_dir is None:
            raise ValueError("Peers needs BACKPROP_VIZ_CLUSTER_DIR (set by the router)")
        self.settings = settings
        self._tables: OrderedDict[str, Table] = OrderedDict()
        self._lock = threading.Lock()

    def _client(self, dataset_id: str) -> httpx.Client:
        shard = owner(dataset_id, self.settings.workers)
        transport = httpx.HTTPTransport(uds=str(socket_path(self.settings.cluster_dir, shard)))
        return httpx.Client(transport=transport, base_url="http://localhost", timeout=TIMEOUT)

    def lookup(self, dataset_id: str) -> Table:
        """NotFound (404) when its owner does not have it; Unavailable (503) when the owner cannot be reached."""
        path = f"/internal/datasets/{dataset_id}"
        try:
            with self._client(dataset_id) as client:
                if client.head(path).status_code == 404:
                    raise self._missing(dataset_id)
                with self._lock:
                    table = self._tables.get(dataset_id)
                    if table is not None:
                        self._tables.move_to_end(dataset_id)
                        return table
                answer = client.get(path)
        except httpx.HTTPError as exc:
            raise Unavailable(
                f"the worker that keeps data set {dataset_id!r} cannot be reached ({type(exc).__name__}); it may be "
                "starting again after a failure — try again in a moment"
            ) from None
        if answer.status_code == 404:
            raise self._missing(dataset_id)
        answer.raise_for_status()
        table = self._parse(answer)
        with self._lock:
            self._tables[dataset_id] = table
            while len(self._tables) > CACHED_TABLES:
                self._tables.popitem(last=False)
        return table

    def _parse(self, answer: httpx.Response) -> Table:
        shape = answer.headers.get("x-dataset-image-shape") or None
        limits = CsvLimits(max_rows=self.settings.max_upload_rows, max_columns=self.settings.max_upload_columns)
        try:
            return parse_csv(
                answer.content,
                target=json.loads(answer.headers["x-dataset-target"]),
                task=answer.headers["x-dataset-task"],
                name=unquote(answer.headers["x-dataset-filename"]),
                limits=limits,
                image_shape=None if shape is None else tuple(int(v) for v in shape.split(",")),
            )
        except DatasetError as exc:  # parsed once already by its owner: only a change of limits between them
            raise NotFound(f"the data set could not be read again here: {exc.message}", field="dataset.id") from None

    @staticmethod
    def _missing(dataset_id: str) -> NotFound:
        return NotFound(f"no data set with id {dataset_id!r}; upload one with POST /api/datasets", field="dataset.id")
