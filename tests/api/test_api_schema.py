"""The OpenAPI schema: valid without warnings, describes every /api/ address, and the docs page."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

# Addresses under /api/ that are not API operations: the schema itself and the page showing it.
NOT_OPERATIONS = {"/api/schema/", "/api/docs/"}


def _route(pattern) -> str:
    text = str(pattern.pattern).lstrip("^").rstrip("$")
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)  # router regexes
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)  # path converters


def _api_addresses(patterns=None, prefix="") -> set[str]:
    found = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + _route(pattern)
        if isinstance(pattern, URLResolver):
            found |= _api_addresses(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            found.add("/" + route)
    return found


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    """``manage.py spectacular --validate --fail-on-warn``: fails on any warning or invalid schema."""
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_schema_is_valid_and_covers_every_api_address(schema):
    addresses = _api_addresses() - NOT_OPERATIONS
    assert "/api/jobs/{pk}/retry/" in addresses and "/api/uploads/{upload_id}" in addresses
    # drf-spectacular names router ids {id}; the address is the same.
    documented = {path.replace("{id}", "{pk}") for path in schema["paths"]}
    assert addresses == documented


def test_schema_describes_methods_auth_and_errors(schema):
    paths = schema["paths"]
    assert set(paths["/api/uploads/"]) == {"get", "post"}
    assert set(paths["/api/uploads/{upload_id}"]) >= {"get", "patch", "delete"}
    assert set(paths["/api/batches/"]) == {"get", "post"}
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert paths["/api/jobs/"]["get"]["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    job = schema["components"]["schemas"]["Job"]["properties"]
    assert "status" in job and "ftrack_version_id" in job
    # Secrets have no field anywhere in the schema.
    text = yaml.safe_dump(schema)
    assert "api_key" not in text and "password" not in text and "storage_path" not in text


def test_schema_endpoint_serves_json_and_yaml_to_members(client_for, producer, client, outsider):
    member = client_for(producer)
    as_json = member.get("/api/schema/?format=json")
    assert as_json.status_code == 200 and as_json.json()["openapi"].startswith("3.")
    assert member.get("/api/schema/").content.startswith(b"openapi:")
    assert client.get("/api/schema/").status_code == 401
    assert client_for(outsider).get("/api/schema/").status_code == 403


def test_docs_page_lists_every_operation_without_inline_code(client_for, producer, client, outsider, schema):
    response = client_for(producer).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    for path, item in schema["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert client.get("/api/docs/").status_code == 302  # to the login page
    assert client_for(outsider).get("/api/docs/").status_code == 403
