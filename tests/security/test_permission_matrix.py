"""Who gets what, for every URL of the project.

Every route found by walking ``get_resolver()`` must have an entry in ``MATRIX`` (or be under the
Django admin site, checked separately): a new URL without an entry fails ``test_every_route_has_an_entry``,
so the matrix stays complete. Each entry names the method used and the class of answer each role
gets; objects in URLs (batch, job, upload, notification...) belong to ``producer``.

Answer classes:
  LOGIN   anonymous → redirect to the login page (pages)
  DENIED  401/403 (an anonymous caller may also be redirected to the login page)
  HIDDEN  404: someone else's object, whose existence is not theirs to know
  OK      anything else below 500 that is not a login redirect (200, 201, a redirect, a 400 for an
          empty form: the permission check passed)
Besides, no answer to ``other_producer`` or ``outsider`` may contain the owner's upload id, asset
name or comment (a producer never sees another producer's uploads), and no answer to anyone may
contain the owner's ftrack API key or its encrypted form.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from factories import make_upload
from security_factories import OWNER_MARKERS

pytestmark = pytest.mark.usefixtures("private_ratelimits")

LOGIN, DENIED, HIDDEN, OK = "login", "denied", "hidden", "ok"
# Either refusal: 403 ("not for you") or 404 ("no such thing"), where both are sound answers.
REFUSED = (DENIED, HIDDEN)
ROLES = ("anonymous", "outsider", "producer", "other_producer", "coordinator", "admin")


@dataclass(frozen=True)
class Rule:
    method: str
    expect: dict[str, str | tuple[str, ...]]  # role → answer class (or the classes accepted)
    kwargs: Callable[[dict], dict] = lambda world: {}


def _roles(anonymous, outsider, producer, other_producer, coordinator, admin) -> dict[str, str]:
    return dict(zip(ROLES, (anonymous, outsider, producer, other_producer, coordinator, admin), strict=True))


# The usual shapes.
PUBLIC = _roles(OK, OK, OK, OK, OK, OK)
LOGGED_IN = _roles(LOGIN, OK, OK, OK, OK, OK)  # any account (its own password)
MEMBER_PAGE = _roles(LOGIN, DENIED, OK, OK, OK, OK)
OWNED_PAGE = _roles(LOGIN, DENIED, OK, HIDDEN, OK, OK)
UPLOADER_PAGE = _roles(LOGIN, DENIED, OK, OK, DENIED, OK)
ADMIN_PAGE = _roles(LOGIN, DENIED, DENIED, DENIED, DENIED, OK)
MEMBER_API = _roles(DENIED, DENIED, OK, OK, OK, OK)
OWNED_API = _roles(DENIED, DENIED, OK, HIDDEN, OK, OK)
UPLOADER_API = _roles(DENIED, DENIED, OK, OK, DENIED, OK)
# Uploads are private to their creator: not even coordinators or admins see them.
PRIVATE_API = _roles(DENIED, REFUSED, OK, HIDDEN, HIDDEN, HIDDEN)


def _job(world):
    return {"pk": world["job"].pk}


def _batch(world):
    return {"batch_id": world["batch"].pk}


def _pk(name):
    return lambda world: {"pk": world[name].pk}


MATRIX: dict[str, list[Rule]] = {
    # Django's auth views: login and password reset are public by design (docs/security.md).
    "healthz": [Rule("GET", PUBLIC)],
    "accounts/login/": [Rule("GET", PUBLIC)],
    # Logging out sends everyone to the login page.
    "accounts/logout/": [Rule("POST", _roles(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN))],
    "accounts/password_change/": [Rule("GET", LOGGED_IN)],
    "accounts/password_change/done/": [Rule("GET", LOGGED_IN)],
    "accounts/password_reset/": [Rule("GET", PUBLIC)],
    "accounts/password_reset/done/": [Rule("GET", PUBLIC)],
    "accounts/reset/<uidb64>/<token>/": [
        Rule("GET", PUBLIC, lambda world: {"uidb64": "MQ", "token": "set-password"})
    ],
    "accounts/reset/done/": [Rule("GET", PUBLIC)],
    # tus uploads and the upload API.
    # Creating an upload is publishing work: producers and admins only (roles.can_upload), as on the
    # upload page and POST /api/batches/; coordinators still list (their own) uploads.
    "api/uploads/": [Rule("POST", UPLOADER_API), Rule("GET", MEMBER_API)],
    "api/uploads/<uuid:upload_id>": [
        Rule("GET", PRIVATE_API, lambda world: {"upload_id": world["upload"].pk}),
        Rule("HEAD", PRIVATE_API, lambda world: {"upload_id": world["upload"].pk}),
    ],
    # REST API.
    "api/me/": [Rule("GET", MEMBER_API)],
    "api/context/match/": [Rule("POST", MEMBER_API)],
    "api/ftrack/projects/": [Rule("GET", MEMBER_API)],
    "api/ftrack/children/": [Rule("GET", MEMBER_API)],
    "api/ftrack/search/": [Rule("GET", MEMBER_API)],
    "api/ftrack/users/": [Rule("GET", MEMBER_API)],
    "api/ftrack/asset-types/": [Rule("GET", MEMBER_API)],
    "api/schema/": [Rule("GET", MEMBER_API)],
    "api/docs/": [Rule("GET", MEMBER_PAGE)],
    "api/^batches/$": [Rule("GET", MEMBER_API), Rule("POST", UPLOADER_API)],
    "api/^batches/(?P<pk>[0-9]{1,18})/$": [Rule("GET", OWNED_API, _pk("batch"))],
    "api/^jobs/$": [Rule("GET", MEMBER_API)],
    "api/^jobs/(?P<pk>[0-9]{1,18})/$": [Rule("GET", OWNED_API, _job)],
    "api/^jobs/(?P<pk>[0-9]{1,18})/cancel/$": [Rule("POST", OWNED_API, _job)],
    "api/^jobs/(?P<pk>[0-9]{1,18})/retry/$": [Rule("POST", OWNED_API, _job)],
    # Pages.
    "": [Rule("GET", MEMBER_PAGE)],
    "credentials/": [Rule("GET", MEMBER_PAGE)],
    "credentials/verify/": [Rule("POST", MEMBER_PAGE)],
    "upload/": [Rule("GET", UPLOADER_PAGE)],
    "batches/": [Rule("GET", MEMBER_PAGE)],
    "batches/<int:batch_id>/": [Rule("GET", OWNED_PAGE, _batch)],
    "batches/<int:batch_id>/rows/": [Rule("GET", OWNED_PAGE, _batch)],
    "dashboard/": [Rule("GET", MEMBER_PAGE)],
    "dashboard/rows/": [Rule("GET", MEMBER_PAGE)],
    "dashboard/bulk-retry/": [Rule("POST", MEMBER_PAGE)],
    "jobs/<int:pk>/": [Rule("GET", OWNED_PAGE, _job)],
    "jobs/<int:pk>/retry/": [Rule("POST", OWNED_PAGE, _job)],
    "jobs/<int:pk>/cancel/": [Rule("POST", OWNED_PAGE, _job)],
    # No thumbnail in ftrack for this job: the owner gets a plain 404 too, others must as well.
    "jobs/<int:pk>/thumbnail/": [Rule("GET", _roles(LOGIN, DENIED, HIDDEN, HIDDEN, HIDDEN, HIDDEN), _job)],
    "notifications/": [Rule("GET", MEMBER_PAGE)],
    "notifications/unread/": [Rule("GET", MEMBER_PAGE)],
    "notifications/read-all/": [Rule("POST", MEMBER_PAGE)],
    # Notifications are personal: everyone else gets 404, coordinators and admins too.
    "notifications/<int:pk>/read/": [
        Rule("POST", _roles(LOGIN, DENIED, OK, HIDDEN, HIDDEN, HIDDEN), _pk("notification"))
    ],
    # Staff tools (admins only).
    "admin-tools/credentials/": [Rule("GET", ADMIN_PAGE)],
    "admin-tools/credentials/<int:user_id>/verify/": [
        Rule("POST", ADMIN_PAGE, lambda world: {"user_id": world["owner"].pk})
    ],
    "admin-tools/service-keys/": [Rule("GET", ADMIN_PAGE)],
    "admin-tools/service-keys/<int:pk>/disable/": [Rule("POST", ADMIN_PAGE, _pk("service_key"))],
    "admin-tools/webhooks/": [Rule("GET", ADMIN_PAGE)],
    "admin-tools/naming-rules/": [Rule("GET", ADMIN_PAGE)],
    "admin-tools/naming-rules/<int:pk>/delete/": [Rule("POST", ADMIN_PAGE, _pk("naming_rule"))],
    "admin-tools/webhooks/<int:pk>/test/": [Rule("POST", ADMIN_PAGE, _pk("webhook"))],
    "admin-tools/webhooks/<int:pk>/active/": [Rule("POST", ADMIN_PAGE, _pk("webhook"))],
    "admin-tools/webhooks/<int:pk>/secret/": [Rule("POST", ADMIN_PAGE, _pk("webhook"))],
}


# --- the routes that exist --------------------------------------------------------------------------
def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


def project_routes() -> dict[str, str]:
    """route → one URL name that reverses to it (the same view may be mounted under two names)."""
    routes: dict[str, str] = {}
    for route, name in _walk(get_resolver().url_patterns):
        routes.setdefault(route, name)
    return routes


def _app_routes() -> list[str]:
    return sorted(r for r in project_routes() if not r.startswith("admin/"))


def test_every_route_has_an_entry():
    routes = set(_app_routes())
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without a permission-matrix entry (add them to MATRIX): {missing}"
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"


def _client(user) -> Client:
    client = Client(raise_request_exception=False, HTTP_TUS_RESUMABLE="1.0.0")
    if user is not None:
        client.force_login(user)
    return client


def _classify(answer) -> str:
    location = answer.get("Location", "") if answer.status_code in (301, 302, 303) else ""
    if location.startswith((settings.LOGIN_URL, "/admin/login/")):
        return LOGIN
    if answer.status_code in (401, 403):
        return DENIED
    if answer.status_code == 404:
        return HIDDEN
    if answer.status_code >= 500:
        return f"error {answer.status_code}"
    return OK


def _request(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if method == "HEAD":
        return client.head(url)
    return client.generic(method, url, b"", content_type="application/x-www-form-urlencoded")


def _check(route: str, rule: Rule, world: dict) -> list[str]:
    name = project_routes()[route]
    url = reverse(name, kwargs=rule.kwargs(world))
    problems = []
    for role in ROLES:
        answer = _request(_client(world["users"][role]), rule.method, url)
        got, want = _classify(answer), rule.expect[role]
        accepted = want if isinstance(want, tuple) else (want,)
        if got not in accepted and not (DENIED in accepted and got == LOGIN and role == "anonymous"):
            problems.append(
                f"{rule.method} {url} as {role}: expected {want}, got {got} ({answer.status_code})"
            )
        body = answer.content.decode("utf-8", "replace") + answer.get("Location", "")
        if any(secret in body for secret in world["secrets"]):
            problems.append(f"{rule.method} {url} as {role} shows the owner's ftrack key")
        if role in ("outsider", "other_producer", "anonymous"):
            seen = [m for m in (*OWNER_MARKERS, str(world["upload"].pk)) if m in body]
            if seen:
                problems.append(f"{rule.method} {url} as {role} shows the owner's {seen}")
    return problems


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_route_answers_each_role_as_the_matrix_says(route, world):
    if route not in project_routes():
        pytest.fail(f"{route!r} is in MATRIX but not in the URLconf")
    problems = [p for rule in MATRIX[route] for p in _check(route, rule, world)]
    assert not problems, "\n".join(problems)


# --- the Django admin site ----------------------------------------------------------------------------
def _admin_urls() -> list[str]:
    urls = []
    for route, name in project_routes().items():
        if not route.startswith("admin/") or not name:
            continue
        kwargs = {}
        for part in ("object_id", "app_label", "content_type_id", "id", "url"):
            if f"<{part}>" in route or f":{part}>" in route or f"<path:{part}>" in route:
                kwargs[part] = {"app_label": "publishing", "content_type_id": "1"}.get(part, "1")
        try:
            urls.append(reverse(name, kwargs=kwargs))
        except Exception:  # noqa: BLE001 - regex routes with other groups: the index covers them
            continue
    return sorted(set(urls))


def test_admin_site_is_staff_only(world):
    urls = _admin_urls()
    assert reverse("admin:index") in urls and len(urls) > 10
    problems = []
    for role in ("anonymous", "outsider", "producer", "coordinator"):
        client = _client(world["users"][role])
        for url in urls:
            answer = client.get(url)
            if url.startswith("/admin/login/") or url.startswith("/admin/logout/"):
                continue
            if _classify(answer) != LOGIN:
                problems.append(f"GET {url} as {role}: {answer.status_code}")
    assert not problems, "\n".join(problems)
    assert _client(world["users"]["admin"]).get(reverse("admin:index")).status_code == 200


def test_a_producer_sees_only_their_own_uploads_in_the_list(world, client_for):
    other = world["users"]["other_producer"]
    mine = make_upload(other, filename="mine.mov")
    listing = client_for(other).get(reverse(project_routes()["api/uploads/"]))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert str(mine.pk) in text and str(world["upload"].pk) not in text


def test_tus_writes_to_someone_elses_upload_are_not_found(world, client_for):
    other = client_for(world["users"]["other_producer"])
    url = reverse("tus:resource", args=[world["upload"].pk])
    patch = other.generic(
        "PATCH",
        url,
        b"abc",
        content_type="application/offset+octet-stream",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET="0",
    )
    delete = other.delete(url, HTTP_TUS_RESUMABLE="1.0.0")
    assert (patch.status_code, delete.status_code) == (404, 404)
    assert reverse("tus:resource", args=[uuid.uuid4()]) != url
