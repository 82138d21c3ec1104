"""Errors the API reports as ``{"exception": <class name>, "content": <message>}``.

Messages never contain braces: the client runs ``str.format`` on them (FTRACK-PROTOCOL §1.4).
"""


class ApiError(Exception):
    status = 400

    @property
    def exception(self) -> str:
        return type(self).__name__

    @property
    def content(self) -> str:
        return str(self).replace("{", "(").replace("}", ")")


class ValidationError(ApiError):
    pass


class InvalidCredentialsError(ApiError):
    status = 401


class QuerySyntaxError(ApiError):
    pass


class UnknownActionError(ApiError):
    pass


class NotFoundError(ApiError):
    status = 404


class ServerError(ApiError):
    status = 500
