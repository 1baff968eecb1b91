"""The list of processed files and their downloads.

``GET /p-v2/api/files/history`` lists the signed-in user's files, newest
first. ``GET /p-v2/api/files/download/{id}`` returns one of them, and
returns 404 for another user's file id as if it did not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from aiohttp import web

from .auth import authenticate
from .db import FileRecord
from .errors import ApiError
from .services import Services, services_of

__all__ = ["content_disposition", "download_url", "file_response", "routes"]

DOWNLOAD_PREFIX = "/p-v2/api/files/download/"
# Characters RFC 8187 allows unencoded in an ext-value such as filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"

routes = web.RouteTableDef()


@routes.get("/p-v2/api/files/history")
async def history(request: web.Request) -> web.Response:
    user_id = authenticate(request)
    files = services_of(request).db.list_files(user_id)

    return web.json_response(
        {"files": [_history_entry(record) for record in files]},
        headers={"Cache-Control": "no-store"},
    )


@routes.get(DOWNLOAD_PREFIX + "{file_id}")
async def download(request: web.Request) -> web.StreamResponse:
    user_id = authenticate(request)
    services = services_of(request)

    record = services.db.find_file(request.match_info["file_id"])
    if record is None or record.user_id != user_id:
        raise ApiError.not_found(
            "No processed file has this id. Check the history for the current list."
        )
    return file_response(services, record)


def download_url(file_id: str) -> str:
    return DOWNLOAD_PREFIX + file_id


def file_response(services: Services, record: FileRecord) -> web.FileResponse:
    """Build the response that carries a processed file and its history id."""
    path = services.settings.data_dir / record.stored_path
    if not path.is_file():
        raise ApiError.not_found(
            f"The processed file '{record.file_name}' is no longer stored."
            " Upload the document again."
        )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": record.content_type,
            "Content-Disposition": content_disposition(record.file_name),
            "X-File-Id": record.id,
            "Cache-Control": "no-store",
        },
    )


def content_disposition(file_name: str) -> str:
    """Return an attachment header with an ASCII name and the full UTF-8 one."""
    fallback = "".join(
        char if " " <= char <= "~" and char not in '"\\' else "_" for char in file_name
    )
    encoded = quote(file_name, safe=_ATTR_CHARS)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _history_entry(record: FileRecord) -> dict[str, object]:
    created = datetime.fromtimestamp(record.created_at, tz=UTC)
    return {
        "id": record.id,
        "fileName": record.file_name,
        "size": record.size,
        "createdAt": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "downloadUrl": download_url(record.id),
    }
