"""Rate limits on logging in, creating uploads and submitting batches.

A middleware (in MIDDLEWARE, after authentication) rather than decorators, so that the views it
guards (Django's LoginView, the tus endpoint, the submit view) stay untouched.

* Login (``POST /accounts/login/``): failed attempts are counted per username and per client IP;
  once either reaches its limit, the login page answers 429 "Too many attempts, try again in N
  minutes" without checking the password. Successful logins are not counted (a studio behind one
  NAT address logs in all morning), and a success clears its username's count.
* Upload creation (tus ``POST /api/uploads/``) and batch submission (``POST /api/batches/``, from
  the upload page and from scripts alike):
  every attempt by an authenticated user (session or API token) counts; beyond the limit the answer
  is 429 with ``Retry-After`` and a sentence saying when to try again.

Counters are fixed windows in the Django cache alias ``RATELIMIT_CACHE`` (Redis in every real
deployment, so all web processes share them). When that cache is down the limits are not enforced
and a warning is logged: an unreachable Redis must not lock everyone out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from types import TracebackType

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from publishing.core.errors import error_body

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds

    @classmethod
    def parse(cls, text: str | None) -> Rate | None:
        """ "10/5m" → 10 per 300 s; "120/m", "30/h", "5/10s"; "", "0" or "off" → no limit."""
        text = (text or "").strip().lower()
        if text in ("", "0", "off", "none"):
            return None
        match = re.fullmatch(r"(\d+)\s*/\s*(\d*)\s*([smhd])", text)
        if not match:
            raise ImproperlyConfigured(f"A rate looks like 10/5m or 120/m (got {text!r}).")
        limit, count, unit = int(match[1]), int(match[2] or 1), match[3]
        return cls(limit=limit, window=count * _UNITS[unit]) if limit else None


def _cache():
    return caches[settings.RATELIMIT_CACHE]


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """(window number, seconds until it ends)."""
    number = int(now // rate.window)
    return number, max(1, math.ceil((number + 1) * rate.window - now))


def _key(scope: str, who: str, rate: Rate, number: int) -> str:
    # Hashed: a typed username may hold spaces or control characters no cache key should carry.
    digest = hashlib.sha256(who.encode("utf-8", "replace")).hexdigest()[:32]
    return f"rl:{scope}:{rate.window}:{number}:{digest}"


def peek(scope: str, who: str, rate: Rate) -> tuple[int, int]:
    """(attempts counted in the current window, seconds until it ends)."""
    number, remaining = _window(rate, time.time())
    return int(_cache().get(_key(scope, who, rate, number)) or 0), remaining


def hit(scope: str, who: str, rate: Rate) -> tuple[int, int]:
    """Count one attempt; (count including it, seconds until the window ends)."""
    number, remaining = _window(rate, time.time())
    key, cache = _key(scope, who, rate, number), _cache()
    # add() only creates the counter when absent; incr() is atomic on Redis.
    cache.add(key, 0, timeout=rate.window + 5)
    try:
        return int(cache.incr(key)), remaining
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.window + 5)
        return 1, remaining


def reset(scope: str, who: str, rate: Rate) -> None:
    number, _ = _window(rate, time.time())
    _cache().delete(_key(scope, who, rate, number))


def client_ip(request) -> str:
    """The client's address; behind N trusted proxies, the Nth address from the right of
    X-Forwarded-For (entries further left are whatever the client chose to send)."""
    proxies = int(settings.RATELIMIT_TRUSTED_PROXIES or 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def minutes_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def wait_text(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 90 else minutes_text(seconds)


def _path(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _token_user_id(request) -> int | None:
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() != "token":
        return None
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(key=header[1]).values_list("user_id", flat=True).first()


class RateLimitMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        path = request.path_info
        if path == _path("login"):
            return self._login(request)
        if path == _path("tus:collection") and "HTTP_X_HTTP_METHOD_OVERRIDE" not in request.META:
            return self._per_user(request, "upload-create", settings.UPLOAD_CREATE_RATE_LIMIT, _tus_429)
        if path == _path("api:batch-list"):
            return self._per_user(request, "batch-submit", settings.BATCH_SUBMIT_RATE_LIMIT, _json_429)
        return self.get_response(request)

    # --- login ------------------------------------------------------------------------------------
    def _login(self, request):
        username = (request.POST.get("username") or "").strip().lower()
        wanted = [("login-ip", client_ip(request), Rate.parse(settings.LOGIN_IP_RATE_LIMIT))]
        if username:
            wanted.append(("login-user", username, Rate.parse(settings.LOGIN_RATE_LIMIT)))
        checks = [(scope, who, rate) for scope, who, rate in wanted if rate is not None]
        with _guard():
            for scope, who, rate in checks:
                count, remaining = peek(scope, who, rate)
                if count >= rate.limit:
                    log.warning("login refused: too many failed attempts (%s)", scope)
                    return _login_429(request, username, remaining)
        response = self.get_response(request)
        with _guard():
            if response.status_code == 200:  # the form came back: wrong username or password
                for scope, who, rate in checks:
                    hit(scope, who, rate)
            elif response.status_code in (301, 302, 303) and username:
                for scope, who, rate in checks:
                    if scope == "login-user":
                        reset(scope, who, rate)
        return response

    # --- per user ---------------------------------------------------------------------------------
    def _per_user(self, request, scope: str, rate_text: str, refuse):
        rate = Rate.parse(rate_text)
        user_id = request.user.pk if request.user.is_authenticated else _token_user_id(request)
        if rate is None or user_id is None:
            return self.get_response(request)  # the view answers the anonymous
        with _guard():
            count, remaining = hit(scope, str(user_id), rate)
            if count > rate.limit:
                log.warning("%s refused for user %s: over %s", scope, user_id, rate_text)
                return refuse(remaining)
        return self.get_response(request)


class _guard:
    """Turns a cache failure into "no limit" (logged), never into an error page."""

    def __enter__(self):
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if error is None or not isinstance(error, Exception):
            return False
        log.warning("rate limits not enforced, the cache failed: %s", type(error).__name__)
        return True


def _login_429(request, username: str, remaining: int):
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request, initial={"username": username})
    form.cleaned_data = {}
    form.full_clean()
    form.add_error(None, f"Too many attempts, try again in {minutes_text(remaining)}.")
    context = {"form": form, "next": request.POST.get("next", "")}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(remaining)
    return response


def _tus_429(remaining: int) -> HttpResponse:
    response = HttpResponse(
        f"Too many uploads started in a short time. Try again in {wait_text(remaining)}.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Tus-Resumable"] = "1.0.0"
    response["Retry-After"] = str(remaining)
    response["Cache-Control"] = "no-store"
    return response


def _json_429(remaining: int) -> JsonResponse:
    message = f"Too many publishes submitted in a short time. Try again in {wait_text(remaining)}."
    response = JsonResponse(error_body("rate_limited", message), status=429)
    response["Retry-After"] = str(remaining)
    return response
