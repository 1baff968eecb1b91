"""Tests of the error tree and the parsing of error bodies."""

from __future__ import annotations

from app.errors import AuthError, HttpError, parse_error_body


def test_error_body_json():
    body = '{"error": {"code": "FILE_TOO_LARGE", "message": "Too big. Split it."}}'
    assert parse_error_body(413, body) == ("FILE_TOO_LARGE", "Too big. Split it.")


def test_error_body_html_from_proxy():
    code, message = parse_error_body(502, "<html><body>Bad Gateway</body></html>")
    assert code is None
    assert message == "A gateway in front of the server failed (HTTP 502)."


def test_error_body_empty():
    assert parse_error_body(503, "") == (
        None,
        "The server is temporarily unavailable (HTTP 503).",
    )


def test_error_body_plain_text_is_quoted():
    code, message = parse_error_body(418, "short and stout")
    assert "HTTP 418" in message
    assert "short and stout" in message


def test_error_body_json_without_message():
    code, message = parse_error_body(500, '{"error": {"code": "X"}}')
    assert code is None
    assert "HTTP 500" in message


def test_http_error_from_401_is_auth_error():
    error = HttpError.from_response(
        401, '{"error": {"code": "AUTH_EXPIRED", "message": "Expired."}}', {}
    )
    assert isinstance(error, AuthError)
    assert error.expired


def test_http_error_keeps_retry_after():
    error = HttpError.from_response(429, "", {"Retry-After": "5"})
    assert error.retry_after == "5"
    assert error.status == 429
