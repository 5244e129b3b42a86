"""Request bodies read with a size limit enforced while they stream in (413 before the rest is read).

Starlette would spool a whole multipart upload to memory or disk before a route sees it; these helpers read
`request.stream()` themselves, refuse a declared Content-Length over the limit before reading anything,
count bytes as they arrive, and feed multipart bodies to python-multipart's push parser chunk by chunk. The
file part goes to a temporary file past SPOOL_BYTES, so uploads that stall half-way (until app/middleware.py
drops them) hold disk, not memory: forty stalled 19 MiB uploads held 760 MB of memory before.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from app.errors import AppError, InvalidInput, TooLarge

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the small form fields around the file
MAX_FIELD_BYTES = 4 * 1024
SPOOL_BYTES = 1024 * 1024  # a file part larger than this waits on disk until the upload is complete


def _too_large(limit: int, what: str, setting: str) -> TooLarge:
    return TooLarge(
        f"{what} is larger than the limit of {limit:,} bytes ({setting}); send less, or raise the limit",
        field="file" if "upload" in what else "body",
    )


def check_content_length(request: Request, limit: int, what: str, setting: str) -> None:
    """413 at once when the client declares a body over `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    try:
        length = int(declared)
    except ValueError:
        raise AppError("the Content-Length header is not a whole number", field="Content-Length") from None
    if length > limit:
        raise _too_large(limit, what, setting)


async def read_limited(request: Request, limit: int, what: str, setting: str) -> bytes:
    """The whole body, refused with 413 as soon as more than `limit` bytes have arrived."""
    check_content_length(request, limit, what, setting)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise _too_large(limit, what, setting)
    except ClientDisconnect:
        raise AppError("the client disconnected before sending the whole body") from None
    return bytes(body)


@dataclass
class MultipartForm:
    """The parts of a multipart/form-data body: small text fields, and the one file part."""

    fields: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    file: tempfile.SpooledTemporaryFile | None = None
    file_size: int = 0

    def file_bytes(self) -> bytes | None:
        """The file part's bytes (read back from disk if it was spooled there), or None if there was none."""
        if self.file is None:
            return None
        self.file.seek(0)
        try:
            return self.file.read()
        finally:
            self.file.close()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class _FormCollector:
    """python-multipart callbacks that keep the file part's bytes (bounded) and the small text fields."""

    def __init__(self, file_field: str, file_limit: int, setting: str) -> None:
        self.form = MultipartForm()
        self.file_field = file_field
        self.file_limit = file_limit
        self.setting = setting
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._buffer = bytearray()
        self._spool: tempfile.SpooledTemporaryFile | None = None
        self._size = 0
        self._is_file = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": lambda data, start, end: self._header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def close(self) -> None:
        """Remove the temporary files of the part in progress and of the file part read so far."""
        if self._spool is not None:
            self._spool.close()
        self.form.close()

    def on_part_begin(self) -> None:
        self._headers = {}
        self._buffer = bytearray()
        self._spool = None
        self._size = 0
        self._name = None
        self._is_file = False

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field = bytearray()
        self._header_value = bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        self._name = name.decode("utf-8", "replace") if name is not None else None
        filename = options.get(b"filename")
        self._is_file = self._name == self.file_field
        if self._is_file:
            self.form.file_name = filename.decode("utf-8", "replace") if filename is not None else None
            self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the form owns it)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._spool is not None:
            self._size += end - start
            if self._size > self.file_limit:
                raise _too_large(self.file_limit, "the uploaded file", self.setting)
            self._spool.write(data[start:end])
            return
        self._buffer.extend(data[start:end])
        if not self._is_file and len(self._buffer) > MAX_FIELD_BYTES:
            raise InvalidInput(
                f"the form field {self._name!r} is longer than {MAX_FIELD_BYTES:,} bytes", field=self._name
            )

    def on_part_end(self) -> None:
        if self._name is None:
            return
        if self._is_file:
            if self.form.file is not None:
                self.form.file.close()  # a second file part replaces the first
            self.form.file, self.form.file_size = self._spool, self._size
            self._spool = None
        else:
            self.form.fields[self._name] = self._buffer.decode("utf-8", "replace")


async def read_multipart(request: Request, file_field: str, file_limit: int, setting: str) -> MultipartForm:
    """Parse a multipart/form-data body as it streams in; the file part may hold at most `file_limit` bytes
    and the whole body that plus MULTIPART_OVERHEAD (413 otherwise, as early as it is known)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise AppError(
            "send the file as multipart/form-data (e.g. curl -F file=@data.csv -F target=label -F task=auto)",
            field="file",
            status=415,
        )
    body_limit = file_limit + MULTIPART_OVERHEAD
    check_content_length(request, body_limit, "the upload", setting)
    collector = _FormCollector(file_field, file_limit, setting)
    parser = MultipartParser(boundary, collector.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > body_limit:
                raise _too_large(file_limit, "the upload", setting)
            parser.write(chunk)
        parser.finalize()
    except BaseException as exc:
        collector.close()  # the temporary file goes at once, whatever cut the upload short
        if isinstance(exc, MultipartParseError):
            raise InvalidInput(f"the multipart body is malformed ({exc})", field="file") from None
        if isinstance(exc, ClientDisconnect):
            raise AppError("the client disconnected before sending the whole upload", field="file") from None
        raise
    return collector.form
