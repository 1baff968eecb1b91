"""Uploads: processing, the response headers, and every kind of bad input."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import docx
import pytest

from server.history import content_disposition
from server.upload_form import clean_file_name
from tests.server.support import (
    SAMPLE_TEXT,
    UPLOAD_PATH,
    Api,
    download_name,
    error_of,
    history,
    multipart_body,
    open_raw_upload,
    temp_files,
)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# Successful uploads


async def test_upload_txt_processed(api: Api, token: str):
    response = await api.upload(token, "notes.txt")

    assert response.status == 200
    body = await response.read()
    assert body.strip()
    assert body.decode() != SAMPLE_TEXT
    assert response.headers["Content-Type"].startswith("text/plain")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in disposition
    assert download_name(response).endswith(".txt")
    assert response.headers["X-File-Id"]
    assert temp_files(api) == []


async def test_upload_md_processed(api: Api, token: str):
    content = b"# Notes\n\n" + SAMPLE_TEXT.encode()

    response = await api.upload(token, "notes.md", content)

    assert response.status == 200
    text = (await response.read()).decode()
    assert text.startswith("# ")
    assert text != content.decode()
    assert download_name(response).endswith(".md")


async def test_upload_docx_processed(api: Api, token: str):
    response = await api.upload(token, "report.docx", docx_bytes(SAMPLE_TEXT))

    assert response.status == 200
    assert response.headers["Content-Type"] == DOCX_TYPE
    processed = docx.Document(io.BytesIO(await response.read()))
    text = "\n".join(paragraph.text for paragraph in processed.paragraphs)
    assert text.strip()
    assert download_name(response).endswith(".docx")


async def test_upload_freeze_words_kept(api: Api, token: str):
    fields = {"synonym": "100", "mode": "formal", "freeze": "quick, lazy"}

    response = await api.upload(token, fields=fields)

    assert response.status == 200
    text = (await response.read()).decode()
    assert "quick" in text
    assert "lazy" in text


async def test_upload_unicode_name_header(api: Api, token: str):
    response = await api.upload(token, 'résumé "final".txt')

    assert response.status == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii()
    assert 'filename="r_sum_ ' in disposition
    assert download_name(response).startswith("résumé ")


def test_content_disposition_encoding():
    header = content_disposition('a"b\\c é.txt')

    assert header == (
        "attachment; filename=\"a_b_c _.txt\"; filename*=UTF-8''a%22b%5Cc%20%C3%A9.txt"
    )


async def test_upload_counts_stats(api: Api, token: str):
    await api.upload(token)
    await api.upload(None)

    stats = await api.stats()

    assert stats["uploadsStarted"] == 2
    assert stats["uploadsCompleted"] == 1
    assert stats["uploadsProcessed"] == 1
    assert stats["maxConcurrentUploads"] == 1


# Bad input


async def test_upload_missing_file_field(api: Api, token: str):
    form = aiohttp.FormData()
    form.add_field("mode", "standard")

    response = await api.client.post(
        UPLOAD_PATH, data=form, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status == 400
    error = await error_of(response)
    assert error["code"] == "BAD_REQUEST"
    assert "'file'" in error["message"]


async def test_upload_empty_file(api: Api, token: str):
    response = await api.upload(token, "empty.txt", b"")

    assert response.status == 400
    assert "empty" in (await error_of(response))["message"]
    assert temp_files(api) == []


async def test_upload_over_limit(api: Api, token: str):
    content = b"a" * (api.settings.max_upload_bytes + 1)

    response = await api.upload(token, "big.txt", content)

    assert response.status == 413
    error = await error_of(response)
    assert error["code"] == "FILE_TOO_LARGE"
    assert str(api.settings.max_upload_bytes) in error["message"]
    assert temp_files(api) == []
    assert (await api.stats())["uploadsProcessed"] == 0


async def test_upload_at_limit_accepted(api: Api, token: str):
    content = (b"Short sentences help. " * 20_000)[: api.settings.max_upload_bytes]

    response = await api.upload(token, "limit.txt", content)

    assert response.status == 200


async def test_upload_bad_token_large_body(api: Api):
    response = await api.upload("not-a-token", content=b"a" * 200_000)

    assert response.status == 401
    assert (await error_of(response))["code"] == "AUTH_INVALID"
    assert (await api.stats())["uploadsProcessed"] == 0


@pytest.mark.parametrize(
    ("valid_token", "file_bytes", "status"),
    [(False, 100_000, 401), (True, 600_000, 413)],
)
async def test_upload_error_after_whole_body(
    api: Api, token: str, valid_token: bool, file_bytes: int, status: int
):
    """An early error is sent only once the client has sent its whole body."""
    body = multipart_body("big.txt", b"a" * file_bytes, {})
    split = len(body) - 1000
    reader, writer = await open_raw_upload(api, token if valid_token else "wrong", body)
    try:
        writer.write(body[:split])
        await writer.drain()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), timeout=0.2)
        writer.write(body[split:])
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()

    assert reply.startswith(f"HTTP/1.1 {status} ".encode())
    assert temp_files(api) == []


async def test_upload_client_disconnect_cleans_up(api: Api, token: str):
    body = multipart_body("big.txt", b"a" * 200_000, {})
    _, writer = await open_raw_upload(api, token, body)
    writer.write(body[:100_000])
    await writer.drain()

    # Wait, bounded, until the server has started storing the file.
    for _ in range(100):
        if temp_files(api):
            break
        await asyncio.sleep(0.01)
    stored_while_sending = temp_files(api)
    writer.close()
    for _ in range(200):
        if not temp_files(api):
            break
        await asyncio.sleep(0.01)

    assert stored_while_sending
    assert temp_files(api) == []
    stats = await api.stats()
    assert stats["uploadsProcessed"] == 0
    assert stats["uploadsCompleted"] == 0


async def test_upload_too_many_field_bytes(api: Api, token: str):
    fields = {"freeze": ["word " * 10_000] * 6}

    response = await api.upload(token, fields=fields)

    assert response.status == 400
    assert "in total" in (await error_of(response))["message"]


async def test_upload_expired_token(api: Api, token: str):
    api.clock.advance(900)

    response = await api.upload(token)

    assert response.status == 401
    assert (await error_of(response))["code"] == "AUTH_EXPIRED"


async def test_upload_unsupported_type(api: Api, token: str):
    response = await api.upload(token, "tool.exe", b"MZ\x90\x00binary")

    assert response.status == 415
    error = await error_of(response)
    assert error["code"] == "UNSUPPORTED_TYPE"
    assert error["message"]
    assert temp_files(api) == []
    assert list((api.settings.data_dir / "results").iterdir()) == []


async def test_upload_unreadable_docx(api: Api, token: str):
    response = await api.upload(token, "broken.docx", b"this is not a zip file")

    assert response.status == 422
    assert (await error_of(response))["code"] == "UNREADABLE_FILE"


async def test_upload_bad_language(api: Api, token: str):
    response = await api.upload(token, fields={"language": "xx"})

    assert response.status == 400
    error = await error_of(response)
    assert error["code"] == "BAD_REQUEST"
    assert "xx" in error["message"]
    assert temp_files(api) == []


async def test_upload_not_multipart(api: Api, token: str):
    response = await api.client.post(
        UPLOAD_PATH,
        data=b"plain body",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
    )

    assert response.status == 400
    assert "multipart/form-data" in (await error_of(response))["message"]


async def test_upload_malformed_multipart(api: Api, token: str):
    response = await api.client.post(
        UPLOAD_PATH,
        data=b"--other\r\nno headers here\r\n",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "multipart/form-data; boundary=expected",
        },
    )

    assert response.status == 400
    assert (await error_of(response))["code"] == "BAD_REQUEST"


async def test_upload_two_files_rejected(api: Api, token: str):
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(b"one"), filename="one.txt")
    form.add_field("file", io.BytesIO(b"two"), filename="two.txt")

    response = await api.client.post(
        UPLOAD_PATH, data=form, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status == 400
    assert "one file" in (await error_of(response))["message"]
    assert temp_files(api) == []


@pytest.mark.parametrize(
    "name",
    ["../../evil.txt", "..\\..\\evil.txt", "/etc/evil.txt", "ev\u202eil.txt"],
)
async def test_upload_traversal_name_safe(api: Api, token: str, name: str):
    response = await api.upload(token, name)

    assert response.status == 200
    shown = download_name(response)
    assert "/" not in shown
    assert "\\" not in shown
    assert "\u202e" not in shown
    assert "evil" in shown
    # Only the paraphraser's output folder may hold a file named after it.
    for path in api.settings.data_dir.parent.rglob("*evil*"):
        assert path.parent.parent == api.settings.data_dir / "results"
    assert "/" not in (await history(api, token))[0]["fileName"]


async def test_upload_control_character_name(api: Api, token: str):
    response = await api.upload(token, "ev\x01il.txt")

    assert response.status == 400
    assert (await error_of(response))["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("notes.txt", "notes.txt"),
        ("../../notes.txt", "notes.txt"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("no\x00tes\u202e.txt", "notes.txt"),
        ("..", "upload"),
        ("  ", "upload"),
        (None, "upload"),
        ("a" * 300 + ".docx", "a" * 250 + ".docx"),
    ],
)
def test_clean_file_name(raw: str | None, expected: str):
    assert clean_file_name(raw) == expected


async def test_upload_server_failure_json_500(api: Api, token: str):
    results = api.settings.data_dir / "results"
    results.rmdir()
    results.write_text("a file where the results folder should be")

    response = await api.upload(token)

    assert response.status == 500
    assert (await error_of(response))["code"] == "INTERNAL_ERROR"
    assert temp_files(api) == []
