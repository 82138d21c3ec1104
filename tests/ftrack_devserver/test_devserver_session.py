"""Start-up, authentication and protocol edges of the dev server, over real HTTP."""

from __future__ import annotations

import hashlib
import json

import ftrack_api
import ftrack_api.exception
import pytest
import requests

from ftrack_devserver.seed import DEMO_USERS


def test_startup_prints_url_and_demo_users(ftrack_server):
    assert ftrack_server.output[0] == f"ftrack_devserver listening on {ftrack_server.url}"
    assert ftrack_server.output[-1] == "ready" or "ready" in ftrack_server.output
    assert ftrack_server.users == DEMO_USERS


def test_server_information_hash_is_digest_of_schemas(api):
    info, schemas = api([{"action": "query_server_information"}, {"action": "query_schemas"}])
    assert info["version"] == "dev"
    assert info["schema_hash"] == hashlib.md5(json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    assert info["storage_scenario"] == {"scenario": "ftrack.automatic", "data": {}}


def test_second_session_reuses_schema_cache(ftrack_server, make_session, tmp_path):
    since = ftrack_server.request_log()[-1]["seq"] if ftrack_server.request_log() else 0
    make_session(cache_dir=tmp_path)
    make_session(cache_dir=tmp_path)
    actions = [e["action"] for e in ftrack_server.request_log(since)]
    assert actions.count("query_server_information") == 2
    assert actions.count("query_schemas") == 1


def test_bad_api_key_is_refused(ftrack_server, api):
    reply = api([{"action": "query", "expression": "select id from Project"}], key="wrong")
    assert reply["exception"] == "InvalidCredentialsError"
    assert api.last_status == 200
    api([{"action": "query_server_information"}], key="wrong", strict=True)
    assert api.last_status == 401
    with pytest.raises(ftrack_api.exception.ServerError) as error:
        ftrack_api.Session(server_url=ftrack_server.url, api_user="producer", api_key="nope",
                           auto_connect_event_hub=False)  # fmt: skip
    assert "InvalidCredentialsError" in str(error.value)


def test_missing_user_header_is_refused(ftrack_server):
    response = requests.post(f"{ftrack_server.url}/api", data="[]", timeout=10)
    assert response.json()["exception"] == "InvalidCredentialsError"


def test_unknown_action_is_reported_the_ftrack_way(api):
    reply = api([{"action": "frobnicate"}])
    assert "Invalid action u'frobnicate'" in reply["content"]


def test_errors_never_contain_braces(api):
    replies = [
        api([{"action": "query", "expression": "select {id} from Project"}]),
        api([{"action": "create", "entity_type": "Nope{}", "entity_data": {}}]),
        api([{"action": "update", "entity_type": "Project", "entity_key": ["{x}"], "entity_data": {}}]),
    ]
    for reply in replies:
        assert "exception" in reply
        assert "{" not in reply["content"] and "}" not in reply["content"]


def test_client_error_message_is_formattable(make_session):
    session = make_session()
    with pytest.raises(ftrack_api.exception.ServerError) as error:
        session.query("select id from NoSuchType").all()
    assert "NoSuchType" in str(error.value)


def test_unknown_attribute_and_syntax_errors_are_clear(api):
    reply = api([{"action": "query", "expression": "select nmae from Task"}])
    assert reply["exception"] == "ValidationError" and "'nmae'" in reply["content"]
    reply = api([{"action": "query", "expression": "select id from Task where name is"}])
    assert reply["exception"] == "QuerySyntaxError" and "character" in reply["content"]
    reply = api([{"action": "query", "expression": "select id from Task where (name is 'a'"}])
    assert "expected ')'" in reply["content"]
