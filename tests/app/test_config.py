"""Tests of the settings read from config.json."""

from __future__ import annotations

import pytest

from app.config import MIB, AppConfig
from app.errors import ConfigError


def test_config_defaults_use_page_origin():
    config = AppConfig()
    assert config.upload_url == "/p-v2/api/files/file-paraphrase"
    assert config.concurrency == 3


def test_config_from_mapping_reads_camel_case():
    config = AppConfig.from_mapping(
        {"apiBaseUrl": "https://api.example.com/", "concurrency": 5, "stallTimeout": 10}
    )
    assert config.upload_url == "https://api.example.com/p-v2/api/files/file-paraphrase"
    assert config.concurrency == 5
    assert config.stall_timeout == 10.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"concurrency": 0}, "concurrency is 0, outside the accepted range 1 to 16"),
        ({"concurrency": "4"}, "concurrency must be a whole number"),
        ({"concurrency": True}, "concurrency must be a number"),
        ({"apiBaseUrl": "ftp://x"}, "apiBaseUrl must start with http"),
        ({"speed": 1}, "Unknown setting 'speed'"),
        ({"allowedExtensions": ["txt"]}, "allowedExtensions must list extensions"),
        ({"maxRetries": -1}, "maxRetries is -1"),
        ({"apiBaseUrl": "https://"}, "apiBaseUrl must name a host"),
        ({"apiBaseUrl": "https://api example.com"}, "apiBaseUrl must name a host"),
        ({"apiBaseUrl": "https://api.example.com:99999"}, "apiBaseUrl has an invalid port"),
        ({"apiBaseUrl": "https://api.example.com/?a=1"}, "without a query"),
        ({"apiBaseUrl": "https://api.example.com/#top"}, "without a query"),
        ({"apiBaseUrl": "https://user@api.example.com"}, "without a query"),
        ({"initialDelay": 5, "maxDelay": 2}, "maxDelay \\(2\\) is less than initialDelay"),
        ({"allowedExtensions": []}, "allowedExtensions is empty"),
        ({"stallTimeout": float("nan")}, "stallTimeout is nan"),
        ({"maxFileBytes": 1.5}, "maxFileBytes must be a whole number"),
    ],
)
def test_config_rejects_bad_values(values, message):
    with pytest.raises(ConfigError, match=message):
        AppConfig.from_mapping(values)


def test_config_accepts_api_base_url_with_path():
    config = AppConfig.from_mapping({"apiBaseUrl": "https://example.com/backend/"})

    assert config.history_url == "https://example.com/backend/p-v2/api/files/history"


def test_config_rejects_non_object():
    with pytest.raises(ConfigError, match="JSON object"):
        AppConfig.from_mapping([1, 2])


def test_max_kept_file_bytes_default_and_zero():
    assert AppConfig().max_kept_file_bytes == 100 * MIB
    assert AppConfig.from_mapping({"maxKeptFileBytes": 0}).max_kept_file_bytes == 0
