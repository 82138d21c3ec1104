"""What a producer reads when something goes wrong, and what is retried."""

from __future__ import annotations

import json

import ftrack_api.exception
import pytest
import requests

from publishing.core.errors import (
    FtrackCredentialRejected,
    FtrackRefused,
    FtrackUnavailable,
    PublishError,
    classify,
)
from publishing.pipeline.verify import _meta_valid


@pytest.mark.parametrize(
    ("exc", "expected", "retryable"),
    [
        (requests.ConnectionError("Connection reset by peer"), FtrackUnavailable, True),
        (requests.ReadTimeout("read timed out"), FtrackUnavailable, True),
        (json.JSONDecodeError("Expecting value", "<html>502</html>", 0), FtrackUnavailable, True),
        (
            ftrack_api.exception.ServerError(
                "Server reported error: ServerError(Injected fault: internal server error.)"
            ),
            FtrackUnavailable,
            True,
        ),
        (
            ftrack_api.exception.ServerError(
                "Server reported error: InvalidCredentialsError(The API key is wrong.)"
            ),
            FtrackCredentialRejected,
            False,
        ),
        (
            ftrack_api.exception.ServerError("Server reported error: ValidationError(name is required)"),
            FtrackRefused,
            False,
        ),
    ],
)
def test_classify(exc, expected, retryable):
    error = classify(exc, api_user="producer")
    assert isinstance(error, expected)
    assert error.retryable is retryable
    assert isinstance(error, PublishError) and error.message


def test_classify_survives_braces_and_hides_keys():
    # str() of an ftrack error with braces raises KeyError (the client formats its message).
    exc = ftrack_api.exception.ServerError('Server reported error: ValidationError({"apiKey=abc123": 1})')
    with pytest.raises(KeyError):
        str(exc)
    error = classify(exc)
    assert isinstance(error, FtrackRefused)
    assert "abc123" not in error.message


def test_http_errors_by_status():
    def http_error(status):
        response = requests.Response()
        response.status_code = status
        return requests.HTTPError(response=response)

    assert isinstance(classify(http_error(503)), FtrackUnavailable)
    assert isinstance(classify(http_error(401), api_user="ana"), FtrackCredentialRejected)
    assert isinstance(classify(http_error(400)), FtrackRefused)


@pytest.mark.parametrize(
    ("name", "meta", "valid"),
    [
        (
            "ftrackreview-mp4",
            {"frameIn": 0, "frameOut": 24, "frameRate": 25, "width": 64, "height": 64},
            True,
        ),
        (
            "ftrackreview-mp4",
            {"frameIn": 0, "frameOut": 24, "frameRate": 0, "width": 64, "height": 64},
            False,
        ),
        (
            "ftrackreview-mp4",
            {"frameIn": 5, "frameOut": 4, "frameRate": 25, "width": 64, "height": 64},
            False,
        ),
        ("ftrackreview-mp4", {"frameRate": 25, "width": 64, "height": 64}, False),
        ("ftrackreview-mp4", "encoding", False),
        ("ftrackreview-image", {"format": "image", "width": 80, "height": 60}, True),
        ("ftrackreview-image", {"format": "image", "width": 0, "height": 60}, False),
    ],
)
def test_review_metadata_validity(name, meta, valid):
    raw = meta if isinstance(meta, str) else json.dumps(meta)
    assert _meta_valid(name, raw) is valid
