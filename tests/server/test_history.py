"""History of processed files and downloads, limited to their owner."""

from __future__ import annotations

from tests.server.support import Api, add_user, download_name, error_of, history


async def test_history_entry_fields(api: Api, token: str):
    response = await api.upload(token, "notes.txt")
    body = await response.read()

    files = await history(api, token)

    assert len(files) == 1
    entry = files[0]
    assert entry["id"] == response.headers["X-File-Id"]
    assert entry["fileName"] == download_name(response)
    assert entry["size"] == len(body)
    assert entry["downloadUrl"] == f"/p-v2/api/files/download/{entry['id']}"
    assert entry["createdAt"] == "2023-11-14T22:13:20.000Z"


async def test_history_newest_first(api: Api, token: str):
    first = await api.upload(token, "first.txt")
    api.clock.advance(60)
    second = await api.upload(token, "second.txt")

    files = await history(api, token)

    assert [entry["id"] for entry in files] == [
        second.headers["X-File-Id"],
        first.headers["X-File-Id"],
    ]
    assert files[0]["createdAt"] == "2023-11-14T22:14:20.000Z"


async def test_history_only_own_files(api: Api, token: str):
    other_token = await add_user(api, "other", "other-password")
    await api.upload(token)

    assert len(await history(api, token)) == 1
    assert await history(api, other_token) == []


async def test_download_owner(api: Api, token: str):
    uploaded = await api.upload(token, "notes.txt")
    body = await uploaded.read()

    response = await api.client.get(
        f"/p-v2/api/files/download/{uploaded.headers['X-File-Id']}",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status == 200
    assert await response.read() == body
    assert (
        response.headers["Content-Disposition"]
        == (uploaded.headers["Content-Disposition"])
    )
    assert response.headers["X-File-Id"] == uploaded.headers["X-File-Id"]


async def test_download_other_user_404(api: Api, token: str):
    uploaded = await api.upload(token)
    other_token = await add_user(api, "other", "other-password")

    response = await api.client.get(
        f"/p-v2/api/files/download/{uploaded.headers['X-File-Id']}",
        headers={"Authorization": f"Bearer {other_token}"},
    )

    assert response.status == 404
    assert (await error_of(response))["code"] == "NOT_FOUND"


async def test_download_unknown_id_404(api: Api, token: str):
    response = await api.client.get(
        "/p-v2/api/files/download/unknown",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status == 404


async def test_download_without_token_401(api: Api, token: str):
    uploaded = await api.upload(token)

    response = await api.client.get(
        f"/p-v2/api/files/download/{uploaded.headers['X-File-Id']}"
    )

    assert response.status == 401
    assert (await error_of(response))["code"] == "AUTH_INVALID"
