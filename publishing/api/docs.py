"""The OpenAPI schema (drf-spectacular) and a documentation page rendered from it on the server.

Swagger UI and Redoc need JavaScript from a CDN or inline scripts, both of which the content
security policy forbids; the page here is plain HTML built from the same schema, so it can never
describe an endpoint differently from ``/api/schema/``.
"""

from __future__ import annotations

from django.template import Context, Engine
from django.templatetags.static import static
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer

from publishing.api.errors import api_exception_handler
from publishing.api.permissions import MEMBER
from publishing.core.access import portal_member_required

METHODS = ("get", "post", "put", "patch", "delete")


class SchemaView(SpectacularAPIView):
    permission_classes = MEMBER

    def get_exception_handler(self):
        return api_exception_handler

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # Errors are JSON like everywhere else, not an OpenAPI document in YAML.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


def dedupe_endpoints(endpoints):
    """drf-spectacular preprocessing hook: one operation per (path, method).

    The context routes are reachable under two URL names (``api:...`` and the upload page's
    ``publishing:api:...``) for the same address; the schema lists that address once.
    """
    seen, unique = set(), []
    for path, path_regex, method, callback in endpoints:
        if (path, method) not in seen:
            seen.add((path, method))
            unique.append((path, path_regex, method, callback))
    return unique


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs: not_found, invalid, ..."},
                "message": {"type": "string", "description": "for people"},
                "details": {"description": "validation problems per field, when there are any"},
            },
        }
    },
}
ERROR_TEXT = {
    "400": "invalid parameters or body (details per field)",
    "401": "not authenticated: send 'Authorization: Token <key>' or log in",
    "403": "your account may not do this",
    "404": "no such object, or not yours to see",
}
ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the API's error shape on every JSON operation.

    401 and 403 can answer anything; 404 anything addressed by id; 400 anything taking parameters
    or a body. The tus methods answer in text/plain and keep their own descriptions.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            body_types = set((operation.get("requestBody") or {}).get("content", {}))
            if (
                "application/offset+octet-stream" in body_types
                or operation["operationId"] == "uploads_destroy"
            ):
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["401", "403"]
            if "{" in path:
                wanted.append("404")
            if operation.get("parameters") and any(p.get("in") == "query" for p in operation["parameters"]):
                wanted.append("400")
            if body_types:
                wanted.append("400")
            for code in wanted:
                responses.setdefault(code, {"description": ERROR_TEXT[code]})
            for code, answer in responses.items():
                if code.isdigit() and int(code) >= 400:
                    answer.setdefault("content", ERROR_REF)
    return result


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ info.title }} · API</title>
<link rel="stylesheet" href="{{ stylesheet }}"></head>
<body><main id="main" class="page">
<h1>{{ info.title }} <small>{{ info.version }}</small></h1>
<p>{{ info.description }}</p>
<p>Machine-readable schema: <a href="{{ schema_url }}">OpenAPI 3 (YAML)</a>,
<a href="{{ schema_url }}?format=json">JSON</a>.</p>
{% for tag, operations in groups %}<section><h2 id="tag-{{ tag|slugify }}">{{ tag }}</h2>
{% for op in operations %}<article id="{{ op.operationId }}"><h3><code>{{ op.method|upper }} {{ op.path }}</code></h3>
{% if op.summary %}<p>{{ op.summary }}</p>{% endif %}{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% if op.parameters %}<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr></thead><tbody>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p.in }}</td><td>{{ p.required|yesno:"yes,no" }}</td><td>{{ p.description }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
{% if op.body_types %}<p>Request body: {% for t in op.body_types %}<code>{{ t }}</code>{% if not forloop.last %}, {% endif %}{% endfor %}{% if op.body_schema %} ({{ op.body_schema }}){% endif %}</p>{% endif %}
<ul>{% for code, text in op.responses %}<li><strong>{{ code }}</strong> {{ text }}</li>{% endfor %}</ul>
</article>{% endfor %}</section>{% endfor %}
</main></body></html>"""


def _ref_name(content: dict) -> str:
    for media in content.values():
        ref = (media.get("schema") or {}).get("$ref", "")
        if ref:
            return ref.rsplit("/", 1)[-1]
    return ""


def operations_by_tag(schema: dict) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            body = (operation.get("requestBody") or {}).get("content", {})
            responses = [
                (code, answer.get("description") or _ref_name(answer.get("content", {})))
                for code, answer in operation.get("responses", {}).items()
            ]
            groups.setdefault((operation.get("tags") or ["other"])[0], []).append(
                {
                    **operation,
                    "method": method,
                    "path": path,
                    "body_types": list(body),
                    "body_schema": _ref_name(body),
                    "responses": responses,
                }
            )
    return sorted(groups.items())


@require_GET
@portal_member_required
def api_docs(request):
    from django.http import HttpResponse
    from django.urls import reverse

    schema = SchemaGenerator().get_schema(request=None, public=True)
    html = (
        Engine(autoescape=True)
        .from_string(_PAGE)
        .render(
            Context(
                {
                    "info": schema.get("info", {}),
                    "groups": operations_by_tag(schema),
                    "schema_url": reverse("api:schema"),
                    "stylesheet": static("css/portal.css"),
                }
            )
        )
    )
    return HttpResponse(html)
