"""`/internal/…`: what one worker asks another (`--workers N`), served only by worker processes, on their private
Unix sockets; the router never forwards a path under /internal/ (404), so no browser or script reaches it.

`GET /internal/datasets/{id}`: an uploaded data set as it was uploaded (the CSV's bytes, the parse options in
headers), so a worker whose new session names a data set another worker owns parses its own copy, the same way
a restart does. `HEAD` says whether it is still there (deleted data sets are not used again).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Response

from app.deps import RegistryDep

router = APIRouter(prefix="/internal", include_in_schema=False)


@router.api_route("/datasets/{dataset_id}", methods=["GET", "HEAD"])
async def dataset_source(dataset_id: str, registry: RegistryDep) -> Response:
    stored = registry.get_dataset(dataset_id)  # 404 when it is gone
    headers = {
        "x-dataset-filename": quote(stored.filename),
        "x-dataset-target": json.dumps(stored.target),
        "x-dataset-task": stored.task,
        "x-dataset-image-shape": "" if stored.image_shape is None else ",".join(map(str, stored.image_shape)),
        "x-dataset-created": repr(stored.created),
    }
    return Response(stored.source, media_type="text/csv", headers=headers)
