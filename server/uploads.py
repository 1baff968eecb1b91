"""The upload endpoint, ``POST /p-v2/api/files/file-paraphrase``.

The request carries a Bearer token, an optional Idempotency-Key header and a
multipart form with the document in the field ``file`` plus the paraphrase
options. The file is streamed to a temporary file, paraphrased in a worker
thread, stored with a history row, and sent back as the response body.

When the server responds before it has read the whole body (a bad token, a
file over the size limit), it first reads and discards the rest, up to a
bound. Chromium reports a network error instead of the status when the server
responds and closes while the browser is still sending.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from aiohttp import web

from .auth import authenticate
from .body import BodyReader, body_reader_of
from .db import FileRecord
from .errors import ApiError
from .history import file_response
from .idempotency import parse_idempotency_key
from .paraphrase import (
    DocumentError,
    OptionsError,
    ParaphraseOptions,
    UnsupportedTypeError,
    paraphrase_file,
)
from .services import Services, services_of
from .upload_form import UploadForm, read_upload_form

__all__ = ["UPLOAD_PATH", "routes", "track_uploads"]

UPLOAD_PATH = "/p-v2/api/files/file-paraphrase"

# Free-form text the log middleware appends to the request's log line.
LOG_NOTE = web.RequestKey("log_note", str)

routes = web.RouteTableDef()


@routes.post(UPLOAD_PATH)
async def upload(request: web.Request) -> web.StreamResponse:
    services = services_of(request)
    body = body_reader_of(request, services.config)

    try:
        return await _handle_upload(request, services, body)
    except ApiError:
        await body.drain(services.config.drain_limit)
        raise


# The handler reads its body through BodyReader, so byte-count faults apply
# while it reads.
upload.streams_body = True


@web.middleware
async def track_uploads(
    request: web.Request, handler: web.RequestHandler
) -> web.StreamResponse:
    """Count upload requests: started, completed, and how many at once."""
    if request.method != "POST" or request.path != UPLOAD_PATH:
        return await handler(request)

    stats = services_of(request).stats
    stats.upload_started()
    completed = False
    try:
        response = await handler(request)
        completed = response.status == 200
        return response
    finally:
        stats.upload_ended(completed)


async def _handle_upload(
    request: web.Request, services: Services, body: BodyReader
) -> web.StreamResponse:
    user_id = authenticate(request)
    try:
        key = parse_idempotency_key(request.headers.get("Idempotency-Key"))
    except ValueError as error:
        raise ApiError.bad_request(str(error)) from None
    if key is not None:
        services.stats.idempotency_keys.add((user_id, key))

    # The body is read before the key's lock is taken: a retry must not wait
    # behind an earlier attempt whose client is gone but whose body read is
    # still stalled.
    form = await read_upload_form(
        body,
        request.headers.get("Content-Type", ""),
        services.temp_dir,
        services.config.max_upload_bytes,
    )
    try:
        if key is None:
            return await _process_upload(request, services, form, user_id, None)
        async with services.key_locks.hold(user_id, key):
            stored = services.db.find_file_for_key(user_id, key)
            if stored is None:
                return await _process_upload(request, services, form, user_id, key)
            request[LOG_NOTE] = f"file {stored.id} from storage for a repeated key"
            return file_response(services, stored)
    finally:
        form.file_path.unlink(missing_ok=True)


async def _process_upload(
    request: web.Request,
    services: Services,
    form: UploadForm,
    user_id: int,
    key: str | None,
) -> web.StreamResponse:
    """Paraphrase and store one uploaded file; return the processed file."""
    options = _parse_options(form.fields)
    record = await _paraphrase(services, form, options, user_id)
    services.db.add_file(record, key)
    request[LOG_NOTE] = f"file {record.id} processed, {form.size} bytes in"
    return file_response(services, record)


def _parse_options(fields: dict[str, list[str]]) -> ParaphraseOptions:
    try:
        return ParaphraseOptions.from_form(fields)
    except OptionsError as error:
        raise ApiError.bad_request(error.message) from error


async def _paraphrase(
    services: Services, form: UploadForm, options: ParaphraseOptions, user_id: int
) -> FileRecord:
    """Run the paraphraser in a worker thread and describe its output."""
    file_id = uuid.uuid4().hex
    output_dir = services.results_dir / file_id
    output_dir.mkdir(parents=True)
    services.stats.uploads_processed += 1

    # NOTE: a paraphrase run cannot be cancelled. It finishes even if the
    # client leaves, and the process waits for it on shutdown.
    try:
        processed = await asyncio.to_thread(
            paraphrase_file, form.file_path, form.file_name, options, output_dir
        )
        stored_path = _relative_output(services, processed.path, output_dir)
    except DocumentError as error:
        shutil.rmtree(output_dir, ignore_errors=True)
        raise _document_error(error) from error
    except BaseException:
        shutil.rmtree(output_dir, ignore_errors=True)
        raise

    return FileRecord(
        id=file_id,
        user_id=user_id,
        file_name=processed.file_name,
        content_type=processed.content_type,
        size=processed.path.stat().st_size,
        stored_path=stored_path,
        created_at=services.clock(),
    )


def _relative_output(services: Services, path: Path, output_dir: Path) -> str:
    """Return the output's path relative to the data folder, checked inside it."""
    resolved = path.resolve()
    if not resolved.is_file() or not resolved.is_relative_to(output_dir.resolve()):
        raise RuntimeError(f"the paraphraser wrote {path} outside {output_dir}")
    return str(resolved.relative_to(services.settings.data_dir.resolve()))


def _document_error(error: DocumentError) -> ApiError:
    if isinstance(error, OptionsError):
        return ApiError.bad_request(error.message)
    if isinstance(error, UnsupportedTypeError):
        return ApiError(415, "UNSUPPORTED_TYPE", error.message)
    return ApiError(422, "UNREADABLE_FILE", error.message)
