"""Fault injection, the request log, persistence across restarts and clean shutdown."""

from __future__ import annotations

import json
import signal
import time
import uuid

import ftrack_api
import ftrack_api.exception
import pytest
import requests
from devserver_fixtures import start_devserver

from ftrack_devserver.seed import sid


@pytest.fixture
def own_server(tmp_path):
    """A private server: fault settings must not leak into tests sharing the session server."""
    server = start_devserver(tmp_path / "data", seed="demo")
    yield server
    server.stop()


def _post(server, operations, timeout=10):
    headers = {
        "ftrack-user": "producer",
        "ftrack-api-key": server.users["producer"],
        "content-type": "application/json",
    }
    return requests.post(f"{server.url}/api", data=json.dumps(operations), headers=headers, timeout=timeout)


def _create_asset(name):
    asset_id = str(uuid.uuid4())
    return asset_id, [{"action": "create", "entity_type": "Asset", "entity_key": [asset_id], "entity_data": {
        "__entity_type__": "Asset", "id": asset_id, "name": name,
        "parent": {"__entity_type__": "Shot", "id": sid("demo", "sq010", "sh010")}}}]  # fmt: skip


def _count_assets(server, name):
    reply = _post(
        server, [{"action": "query", "expression": f'select id from Asset where name is "{name}"'}]
    ).json()
    return len(reply[0]["data"])


def test_fail_mode_500_fails_before_executing(own_server):
    assert own_server.set_faults(fail_rate=1.0, fail_mode="500")["fail_rate"] == 1.0
    _, ops = _create_asset("never")
    response = _post(own_server, ops)
    assert response.status_code == 500 and response.json()["exception"] == "ServerError"
    own_server.set_faults()  # {} resets
    assert _count_assets(own_server, "never") == 0
    assert own_server.request_log()[-2]["status"] == "fault"


def test_fail_mode_500_reaches_client_as_server_error(own_server, tmp_path):
    session = ftrack_api.Session(server_url=own_server.url, api_user="producer", api_key=own_server.users["producer"],
                                 auto_connect_event_hub=False, schema_cache_path=str(tmp_path))  # fmt: skip
    own_server.set_faults(fail_rate=1.0)
    with pytest.raises(ftrack_api.exception.ServerError):
        session.query("Project").all()
    own_server.set_faults()
    assert [p["name"] for p in session.query("Project").all()] == ["demo"]


def test_fail_mode_reset_drops_the_connection(own_server):
    own_server.set_faults(fail_rate=1.0, fail_mode="reset")
    _, ops = _create_asset("reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        _post(own_server, ops)
    own_server.set_faults()
    assert _count_assets(own_server, "reset") == 0


def test_fail_mode_hang_times_out_client(own_server):
    own_server.set_faults(fail_rate=1.0, fail_mode="hang")
    with pytest.raises(requests.exceptions.Timeout):
        _post(own_server, [{"action": "query_server_information"}], timeout=0.5)
    own_server.set_faults()
    assert _post(own_server, [{"action": "query_server_information"}]).status_code == 200


def test_latency_is_added(own_server):
    own_server.set_faults(latency_ms=300)
    started = time.monotonic()
    _post(own_server, [{"action": "query_server_information"}])
    assert time.monotonic() - started >= 0.3
    own_server.set_faults()


def test_invalid_fault_settings_are_refused(own_server):
    response = requests.post(f"{own_server.url}/_devserver/faults", json={"fail_mode": "explode"}, timeout=10)
    assert response.status_code == 400


def test_put_fails_before_storing(own_server):
    reply = _post(own_server, [{"action": "get_upload_metadata", "component_id": (cid := str(uuid.uuid4())),
                                "file_name": "a.bin", "file_size": 3, "checksum": None}]).json()[0]  # fmt: skip
    own_server.set_faults(fail_rate=1.0)
    assert requests.put(reply["url"], data=b"abc", headers=reply["headers"], timeout=10).status_code == 500
    assert not (own_server.data_dir / "files" / cid).exists()
    own_server.set_faults(fail_rate=0, put_bandwidth=10_000)  # settings merge; {} resets
    started = time.monotonic()
    assert (
        requests.put(reply["url"], data=b"x" * 5000, headers=reply["headers"], timeout=10).status_code == 200
    )
    assert time.monotonic() - started >= 0.4


def test_request_log_since_and_clear(own_server):
    own_server.clear_request_log()
    assert own_server.request_log() == []
    _post(own_server, [{"action": "query", "expression": "select id from Task"}, {"action": "query_schemas"}])
    log = own_server.request_log()
    assert [(e["action"], e["entity_type"], e["user"], e["status"]) for e in log] == [
        ("query", "Task", "producer", "ok"), ("query_schemas", None, "producer", "ok"),
    ]  # fmt: skip
    assert own_server.request_log(since=log[-1]["seq"]) == []


def test_request_log_gives_each_api_call_its_own_id(own_server):
    _post(own_server, [{"action": "query", "expression": "select id from Task"}, {"action": "query_schemas"}])
    _post(own_server, [{"action": "query_schemas"}])  # same action, so only the id tells the calls apart
    log = own_server.request_log()
    assert [e["action"] for e in log] == ["query", "query_schemas", "query_schemas"]
    assert log[0]["call"] == log[1]["call"] != log[2]["call"]
    assert all(isinstance(e["call"], int) for e in log)


def test_reset_api_key_from_the_unmodified_client(own_server, tmp_path):
    # ftrack_api's Session.reset_remote sends entity_key as the bare id, not a list.
    session = ftrack_api.Session(server_url=own_server.url, api_user="producer",
                                 api_key=own_server.users["producer"], auto_connect_event_hub=False,
                                 schema_cache_path=str(tmp_path))  # fmt: skip
    me = session.query('select id from User where username is "producer"').one()
    new_key = me.reset_api_key()
    session.close()
    assert new_key and new_key != own_server.users["producer"]
    assert _post(own_server, [{"action": "query_schemas"}]).json()["exception"] == "InvalidCredentialsError"
    fresh = ftrack_api.Session(server_url=own_server.url, api_user="producer", api_key=new_key,
                               auto_connect_event_hub=False, schema_cache_path=str(tmp_path))  # fmt: skip
    assert fresh.query('select id from User where username is "producer"').one()["id"] == me["id"]
    fresh.close()


def test_restart_keeps_data_and_seeding_again_is_idempotent(tmp_path):
    data = tmp_path / "data"
    first = start_devserver(data, seed="demo", users=["extra:extra-key"])
    asset_id, ops = _create_asset("persisted")
    # Data is served only for a component that exists (test_component_access.py).
    component_id = str(uuid.uuid4())
    ops.append({"action": "create", "entity_type": "FileComponent", "entity_key": [component_id],
                "entity_data": {"__entity_type__": "FileComponent", "id": component_id, "name": "p"}})  # fmt: skip
    assert _post(first, ops).status_code == 200
    uploaded = _post(first, [{"action": "get_upload_metadata", "component_id": component_id, "file_name": "p.bin",
                              "file_size": 4, "checksum": None}]).json()[0]  # fmt: skip
    requests.put(uploaded["url"], data=b"keep", headers=uploaded["headers"], timeout=10).raise_for_status()
    assert first.stop() == 0
    second = start_devserver(data, seed="demo")
    try:
        assert second.users["extra"] == "extra-key"
        assert _count_assets(second, "persisted") == 1
        reply = _post(
            second, [{"action": "query", "expression": "select id from Task where project.name is demo"}]
        )
        assert len(reply.json()[0]["data"]) == 12
        got = requests.get(f"{second.url}/component/get",
                           params={"id": component_id, "username": "producer", "apiKey": second.users["producer"]})  # fmt: skip
        assert got.content == b"keep"
    finally:
        second.stop()


def test_sigint_stops_cleanly(tmp_path):
    server = start_devserver(tmp_path / "data", seed=None, users=["solo:solo-key"])
    assert server.users == {"solo": "solo-key"}
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(10) == 0
