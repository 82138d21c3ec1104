"""Hostile request bodies on the API get its JSON error shape and a 4xx, never a 500 or HTML."""

from __future__ import annotations

import pytest


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_json_is_a_400(api_for, producer, depth):
    body = "[" * depth + "]" * depth
    response = api_for(producer).post("/api/batches/", body, content_type="application/json")
    error = _error(response, 400)
    assert error["code"] == "parse_error"
    assert "nested" in error["message"]


def test_nested_object_json_is_a_400(api_for, producer):
    body = '{"a":' * 3_000 + "1" + "}" * 3_000
    error = _error(api_for(producer).post("/api/batches/", body, content_type="application/json"), 400)
    assert error["code"] == "parse_error"


def test_body_over_the_size_limit_is_a_json_400(api_for, producer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"comment": "' + "x" * 4096 + '"}'
    error = _error(api_for(producer).post("/api/batches/", body, content_type="application/json"), 400)
    assert error["code"] == "too_large"
    assert "too large" in error["message"] and "1,024 bytes" in error["message"]


def test_pages_keep_their_html_400_for_oversize_bodies(client_for, producer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client_for(producer).post("/credentials/", {"api_user": "x" * 4096})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")
