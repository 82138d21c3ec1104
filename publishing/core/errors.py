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


class PublishError(Exception):
    code = "publish_error"
    retryable = False
    default_message = "Publishing failed."

    def __init__(self, message: str | None = None, *, code: str | None = None, retryable: bool | None = None):
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

    def __init__(self, username: str = ""):
        msg = self.default_message
        if username:
            msg = f"Portal user {username} has no ftrack API key on file. Add one on the ftrack credential page."
        super().__init__(msg)


class FtrackCredentialRejected(PublishError):
    code = "credential_rejected"

    def __init__(self, api_user: str):
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

    def __init__(self, project_name: str, api_user: str = ""):
        self.project_name = project_name
        self.api_user = api_user
        super().__init__(
            f"ftrack rejected the service key of project {project_name} — ask an admin to update it, then retry."
        )


class ContextNotFound(PublishError):
    code = "context_not_found"

    def __init__(self, context_id: str = "", path: str = ""):
        self.context_id = context_id
        where = path or context_id or "the chosen task"
        super().__init__(
            f"The ftrack context {where} no longer exists or you cannot see it. Pick another task and publish again."
        )


class MediaUndecodable(PublishError):
    code = "media_undecodable"

    def __init__(self, reason: str = ""):
        detail = f" ({reason})" if reason else ""
        super().__init__(f"The media cannot be decoded{detail}. Export it again and upload the new file.")


class EncodeFailed(PublishError):
    code = "encode_failed"

    def __init__(self, reason: str = ""):
        detail = f": {reason}" if reason else ""
        super().__init__(
            f"ftrack could not encode the media for review{detail}. Check the file plays locally."
        )


class NotPlayable(PublishError):
    code = "not_playable"

    def __init__(self, reason: str):
        super().__init__(f"The version was created but is not playable in ftrack: {reason}.")


class FtrackRefused(PublishError):
    """ftrack answered with an error that will not go away by itself (validation, permissions)."""

    code = "ftrack_refused"

    def __init__(self, detail: str):
        super().__init__(f"ftrack refused the request: {detail}")


class FtrackUnavailable(PublishError):
    code = "ftrack_unavailable"
    retryable = True

    def __init__(self, detail: str = ""):
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"ftrack could not be reached{suffix}. The portal will try again automatically.")


class StagingFileMissing(PublishError):
    code = "staging_missing"

    def __init__(self, filename: str):
        super().__init__(f"The uploaded file {filename} is no longer in staging storage. Upload it again.")


class JobCancelled(PublishError):
    code = "cancelled"
    default_message = "The job was cancelled."


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
