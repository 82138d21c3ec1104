"""The error taxonomy of publishing.

Every failure a producer can see is one of these, with a message written for the producer (what
happened and what to do), a stable ``code`` for the dashboard and filters, and ``retryable``:
whether trying again later can succeed (network trouble, ftrack overloaded) or not (bad key,
missing context, broken media).

``classify(exc)`` turns anything raised while talking to ftrack into one of them. Messages never
contain an API key or a URL carrying one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class PublishError(Exception):
    code = "publish_error"
    retryable = False
    default_message = "Publishing failed."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, retryable: bool | None = None
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class MissingCredential(PublishError):
    code = "missing_credential"
    default_message = "You have no ftrack API key on file. Add one on your ftrack credential page."

    def __init__(self, username: str = "") -> None:
        msg = self.default_message
        if username:
            msg = f"Portal user {username} has no ftrack API key on file. Add one on the ftrack credential page."
        super().__init__(msg)


class FtrackCredentialRejected(PublishError):
    code = "credential_rejected"

    def __init__(self, api_user: str) -> None:
        self.api_user = api_user
        super().__init__(
            f"ftrack rejected the API key for user {api_user}. Ask an admin to check the key "
            "(it may have been revoked or the username may be wrong), then retry."
        )


class ServiceKeyRejected(PublishError):
    """ftrack refused a project's service key: the admin's to fix, not the producer's credential.

    A code of its own so that the job does not count against the producer's personal key (health
    page, failure groups "ask <producer> to update it").
    """

    code = "service_key_rejected"

    def __init__(self, project_name: str, api_user: str = "") -> None:
        self.project_name = project_name
        self.api_user = api_user
        super().__init__(
            f"ftrack rejected the service key of project {project_name} — ask an admin to update it, then retry."
        )


class ContextNotFound(PublishError):
    code = "context_not_found"

    def __init__(self, context_id: str = "", path: str = "") -> None:
        self.context_id = context_id
        where = path or context_id or "the chosen task"
        super().__init__(
            f"The ftrack context {where} no longer exists or you cannot see it. Pick another task and publish again."
        )


class MediaUndecodable(PublishError):
    code = "media_undecodable"

    def __init__(self, reason: str = "") -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(f"The media cannot be decoded{detail}. Export it again and upload the new file.")


class EncodeFailed(PublishError):
    code = "encode_failed"

    def __init__(self, reason: str = "") -> None:
        detail = f": {reason}" if reason else ""
        super().__init__(
            f"ftrack could not encode the media for review{detail}. Check the file plays locally."
        )


class NotPlayable(PublishError):
    code = "not_playable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The version was created but is not playable in ftrack: {reason}.")


class FtrackRefused(PublishError):
    """ftrack answered with an error that will not go away by itself (validation, permissions)."""

    code = "ftrack_refused"

    def __init__(self, detail: str) -> None:
        super().__init__(f"ftrack refused the request: {detail}")


class FtrackUnavailable(PublishError):
    code = "ftrack_unavailable"
    retryable = True

    def __init__(self, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"ftrack could not be reached{suffix}. The portal will try again automatically.")


class StagingFileMissing(PublishError):
    code = "staging_missing"

    def __init__(self, filename: str) -> None:
        super().__init__(f"The uploaded file {filename} is no longer in staging storage. Upload it again.")


# Words in an ftrack error that mean "the credential is wrong", whatever the server calls it.
# (Not "401" or "unauthorized": ids contain digits, and a permission error is not a bad key.)
_AUTH_MARKERS = ("invalidcredentials", "ftauthenticationerror", "authenticationerror", "api key")
# Server answers that are the server's trouble, not ours: try again later.
_TRANSIENT = re.compile(
    r"\b(500|502|503|504)\b|internal server error|bad gateway|service unavailable|gateway timeout"
    r"|unexpected format|timed out|temporarily|servererror\(|operationalerror|database is locked"
)
_SECRETISH = re.compile(r"(api[_-]?key|apikey|password)=[^&\s]+", re.IGNORECASE)


def scrub(text: str) -> str:
    """Remove query-string secrets from a message that may quote a URL."""
    return _SECRETISH.sub(r"\1=***", text)


def classify(exc: BaseException, *, api_user: str = "") -> PublishError:
    """Map an exception raised while talking to ftrack (or moving bytes) to a PublishError."""
    if isinstance(exc, PublishError):
        return exc

    import ftrack_api.exception
    import requests

    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return FtrackUnavailable("timed out")
    if isinstance(exc, requests.exceptions.ConnectionError | ConnectionError):
        return FtrackUnavailable("connection lost")
    if isinstance(exc, requests.exceptions.HTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", 0) or 0
        if status in (401, 403):
            return FtrackCredentialRejected(api_user)
        if status >= 500 or status in (408, 429):
            return FtrackUnavailable(f"HTTP {status}")
        return FtrackRefused(f"HTTP {status}")
    if isinstance(exc, requests.exceptions.RequestException):
        return FtrackUnavailable(type(exc).__name__)
    if isinstance(exc, ValueError) and type(exc).__name__ == "JSONDecodeError":
        # ftrack_api re-raises the raw decode error when a 5xx came back as HTML (a proxy page).
        return FtrackUnavailable("the server answered with an error page")
    if isinstance(exc, ftrack_api.exception.ServerError | ftrack_api.exception.LocationError):
        text = _error_text(exc)
        lowered = text.lower()
        if any(marker in lowered for marker in _AUTH_MARKERS):
            return FtrackCredentialRejected(api_user)
        if _TRANSIENT.search(lowered):
            return FtrackUnavailable(_short(text))
        return FtrackRefused(_short(text))
    if isinstance(exc, ftrack_api.exception.Error):
        return FtrackRefused(_short(_error_text(exc)))
    if isinstance(exc, OSError):
        return FtrackUnavailable(_short(str(exc)))
    return PublishError(f"Unexpected error: {_short(type(exc).__name__ + ': ' + str(exc))}", code="internal")


def _error_text(exc: BaseException) -> str:
    # ftrack_api's Error.__str__ runs str.format on the message, which raises on braces; read the raw text.
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        return message
    try:
        return str(exc)
    except Exception:
        return type(exc).__name__


def _short(text: str, limit: int = 300) -> str:
    text = scrub(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_body(code: str, message: str, details=None) -> dict:
    """The JSON shape of every error the portal answers: ``{"error": {"code", "message", "details"?}}``."""
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


# --- the catalogue -------------------------------------------------------------------------------
# One entry per error code the portal shows anyone: the HTTP status an API or page answers it
# with, whether trying again later can succeed, and the words: what the producer reads (the
# default message; an exception may say more), and what a coordinator reads on the dashboard, the
# job page and in emails (the cause, and the advice, "{who}" being the producer). The dashboard's
# grouping, the API's error answers and the failure descriptions all read it from here.


@dataclass(frozen=True)
class ErrorCode:
    code: str
    http_status: int
    retryable: bool  # the pipeline retries it by itself (with backoff)
    retry_helps: bool  # a person pressing Retry can succeed without fixing anything else first
    producer: str
    cause: str
    advice: str
    per_producer: bool = False  # the fix is one producer's (their key): grouped per producer


_ENTRIES = (
    ErrorCode(
        "missing_credential",
        409,
        False,
        True,
        "Connect your ftrack account first: enter your ftrack username and API key.",
        "{who} has no ftrack API key on file",
        "ask {who} to add one on the credentials page, then retry",
        per_producer=True,
    ),
    ErrorCode(
        "credential_rejected",
        403,
        False,
        True,
        "ftrack rejected your API key. Enter a new one on the credentials page.",
        "ftrack rejected the API key for {who}",
        "ask {who} to update it on the credentials page, then retry",
        per_producer=True,
    ),
    ErrorCode(
        "service_key_rejected",
        403,
        False,
        True,
        "ftrack rejected the project's service key. Ask an admin to update it.",
        "ftrack rejected the project's service key",
        "ask an admin to update it on the service keys page, then retry",
    ),
    ErrorCode(
        "context_not_found",
        404,
        False,
        False,
        "This ftrack context does not exist or you cannot see it.",
        "The ftrack task no longer exists or the producer cannot see it",
        "publish the files again to another task; retrying will not help",
    ),
    ErrorCode(
        "media_undecodable",
        400,
        False,
        False,
        "The media cannot be decoded. Export it again and upload the new file.",
        "The uploaded media cannot be decoded",
        "export the file again and upload the new one; retrying will not help",
    ),
    ErrorCode(
        "encode_failed",
        502,
        False,
        True,
        "ftrack could not encode the media for review. Check the file plays locally.",
        "ftrack could not encode the media for review",
        "check that the file plays locally, then retry; if it fails again, re-export it",
    ),
    ErrorCode(
        "not_playable",
        502,
        False,
        True,
        "The version was created but is not playable in ftrack.",
        "The version was created but does not play in ftrack",
        "retry; if it fails again, ask the ftrack admin to look at the version",
    ),
    ErrorCode(
        "ftrack_refused",
        502,
        False,
        True,
        "ftrack refused the request.",
        "ftrack refused the request",
        "read the error on one of the jobs (usually a permission or a name ftrack does not accept), "
        "fix it in ftrack, then retry",
    ),
    ErrorCode(
        "ftrack_unavailable",
        503,
        True,
        True,
        "ftrack is not answering right now. Try again shortly.",
        "ftrack could not be reached, even after automatic retries",
        "retry once ftrack answers again",
    ),
    ErrorCode(
        "staging_missing",
        410,
        False,
        False,
        "The uploaded file is no longer in the portal's storage. Upload it again.",
        "The uploaded file is no longer in the portal's storage",
        "upload the file again and publish; retrying will not help",
    ),
    ErrorCode(
        "cancelled",
        409,
        False,
        False,
        "The job was cancelled.",
        "The job was cancelled",
        "publish again if it is still needed",
    ),
    ErrorCode(
        "internal",
        500,
        False,
        True,
        "Something went wrong on our side; it has been logged.",
        "An unexpected error stopped the publish",
        "retry; if it happens again, tell the portal admin",
    ),
)
CATALOGUE: dict[str, ErrorCode] = {entry.code: entry for entry in _ENTRIES}
UNKNOWN = CATALOGUE["internal"]


def catalogue_entry(code: str) -> ErrorCode:
    """The catalogue's entry for ``code`` (an unknown or legacy code reads as an unexpected error)."""
    return CATALOGUE.get(code, UNKNOWN)
