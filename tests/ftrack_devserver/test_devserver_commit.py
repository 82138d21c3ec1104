"""create / update / delete: server defaults, collections, composite keys, one transaction per call."""

from __future__ import annotations

import time
import uuid

import ftrack_api
import ftrack_api.exception
import pytest

from ftrack_devserver.seed import sid


def _ref(type_name, entity_id):
    return {"__entity_type__": type_name, "id": entity_id}


def _create(type_name, data):
    key = [data["id"]] if "id" in data else None
    return {"action": "create", "entity_type": type_name, "entity_key": key,
            "entity_data": {"__entity_type__": type_name, **data}}  # fmt: skip


def _asset_ops(name):
    asset_id = str(uuid.uuid4())
    shot = sid("demo", "sq010", "sh030")
    return asset_id, _create(
        "Asset",
        {
            "id": asset_id,
            "name": name,
            "parent": _ref("Shot", shot),
            "type": _ref("AssetType", sid("asset-type", "Upload")),
        },
    )


def test_version_defaults_are_echoed(api):
    asset_id, create_asset = _asset_ops("defaults")
    versions = [str(uuid.uuid4()) for _ in range(2)]
    reply = api(
        [
            create_asset,
            _create("AssetVersion", {"id": versions[0], "asset": _ref("Asset", asset_id), "comment": ""}),
            _create("AssetVersion", {"id": versions[1], "asset": _ref("Asset", asset_id)}),
        ]
    )
    first, second = reply[1]["data"], reply[2]["data"]
    assert (first["version"], second["version"]) == (1, 2)
    assert first["user_id"] == sid("user", "producer")
    assert first["status_id"] == sid("status", "Not started")
    assert first["date"]["__type__"] == "datetime"
    assert first["asset_id"] == asset_id and first["is_published"] is True


def test_component_defaults(api):
    component = str(uuid.uuid4())
    data = api([_create("FileComponent", {"id": component, "name": "x", "file_type": ".mov"})])[0]["data"]
    assert data["system_type"] == "file" and data["size"] == 0
    container = api([_create("SequenceComponent", {"id": str(uuid.uuid4())})])[0]["data"]
    assert container["system_type"] == "sequence" and container["name"] == "main"


def test_failing_operation_rolls_back_whole_call(api):
    asset_id, create_asset = _asset_ops("rollback")
    reply = api(
        [
            create_asset,
            _create("AssetVersion", {"id": str(uuid.uuid4()), "asset": _ref("Asset", asset_id)}),
            {
                "action": "update",
                "entity_type": "Asset",
                "entity_key": [asset_id],
                "entity_data": {"name": 42},
            },
        ]
    )
    assert reply["exception"] == "ValidationError"
    found = api([{"action": "query", "expression": f"select id from Asset where id is {asset_id}"}])[0][
        "data"
    ]
    assert found == []
    assert (
        api([{"action": "query", "expression": "select id from Asset where name is rollback"}])[0]["data"]
        == []
    )


def test_rollback_restores_updated_and_deleted_rows(api):
    asset_id, create_asset = _asset_ops("keep-me")
    api([create_asset])
    reply = api(
        [
            {
                "action": "update",
                "entity_type": "Asset",
                "entity_key": [asset_id],
                "entity_data": {"name": "renamed"},
            },
            {"action": "delete", "entity_type": "Asset", "entity_key": [asset_id]},
            {"action": "delete", "entity_type": "Asset", "entity_key": [str(uuid.uuid4())]},
        ]
    )
    assert reply["exception"] == "ValidationError"
    rows = api([{"action": "query", "expression": f"select name from Asset where id is {asset_id}"}])[0][
        "data"
    ]
    assert rows[0]["name"] == "keep-me"


def test_reference_to_missing_entity_is_refused(api):
    reply = api(
        [_create("AssetVersion", {"id": str(uuid.uuid4()), "asset": _ref("Asset", str(uuid.uuid4()))})]
    )
    assert reply["exception"] == "ValidationError" and "missing Asset" in reply["content"]


def test_unknown_type_and_attribute_on_create(api):
    assert "Unknown entity type 'Gizmo'" in api([_create("Gizmo", {"id": "1"})])["content"]
    reply = api([_create("Asset", {"id": str(uuid.uuid4()), "colour": "red"})])
    assert "Unknown attribute 'colour' on type 'Asset'" in reply["content"]


def test_duplicate_key_is_refused(api):
    asset_id, create_asset = _asset_ops("dup")
    api([create_asset])
    assert api([create_asset])["exception"] == "ValidationError"


def test_update_and_delete_through_client(make_session):
    session = make_session()
    shot = session.get("Shot", sid("demo", "sq020", "sh010"))
    asset = session.create("Asset", {"name": "client-asset", "parent": shot,
                                     "type": session.get("AssetType", sid("asset-type", "Animation"))})  # fmt: skip
    version = session.create("AssetVersion", {"asset": asset, "comment": "first"})
    session.commit()
    version["comment"] = "second"
    version["status"] = session.query('Status where name is "Approved"').one()
    session.commit()
    fresh = make_session()
    again = fresh.get("AssetVersion", version["id"])
    assert again["comment"] == "second" and again["status"]["name"] == "Approved"
    assert again["asset"]["parent"]["name"] == "sh010"
    session.delete(version)
    session.commit()
    assert make_session().query(f"AssetVersion where id is {version['id']}").first() is None


def test_composite_primary_keys_metadata_and_job_component(api):
    component = str(uuid.uuid4())
    job = str(uuid.uuid4())
    reply = api(
        [
            _create("FileComponent", {"id": component, "name": "meta"}),
            {"action": "create", "entity_type": "Metadata", "entity_key": [component, "k"],
             "entity_data": {"__entity_type__": "Metadata", "parent_id": component, "parent_type": "FileComponent",
                             "key": "k", "value": "v"}},
            {"action": "update", "entity_type": "FileComponent", "entity_key": [component],
             "entity_data": {"__entity_type__": "FileComponent",
                             "metadata": [{"__entity_type__": "Metadata", "parent_id": component, "key": "k"}]}},
            _create("Job", {"id": job}),
            {"action": "create", "entity_type": "JobComponent", "entity_key": [component, job],
             "entity_data": {"__entity_type__": "JobComponent", "component_id": component, "job_id": job}},
        ]
    )  # fmt: skip
    assert reply[1]["data"]["key"] == "k"
    assert reply[3]["data"]["status"] == "queued" and reply[3]["data"]["type"] == "api_job"
    row = api(
        [{"action": "query", "expression": f"select metadata from FileComponent where id is {component}"}]
    )
    assert [(m["key"], m["value"]) for m in row[0]["data"][0]["metadata"]] == [("k", "v")]
    row = api(
        [{"action": "query", "expression": f"select job_components.component_id from Job where id is {job}"}]
    )
    assert [c["component_id"] for c in row[0]["data"][0]["job_components"]] == [component]
    jc = api(
        [
            {
                "action": "query",
                "expression": f'select job_id from JobComponent where (component_id is "{component}"and job_id is "{job}")',
            }
        ]
    )
    assert len(jc[0]["data"]) == 1


def test_note_parent_set_from_notes_collection_and_author_is_recipient(make_session):
    session = make_session()
    task = session.get("Task", sid("demo", "sq020", "sh030", "animation"))
    author = session.query("User where username is producer").one()
    ben = session.query("User where username is reviewer.ben").one()
    note = task.create_note("On the task", author=author, recipients=[ben])
    session.commit()
    again = make_session().get("Note", note["id"])
    assert again["parent_id"] == task["id"] and again["parent_type"] == "Task"
    assert sorted(r["resource_id"] for r in again["recipients"]) == sorted([author["id"], ben["id"]])
    assert again["user_id"] == author["id"] and again["date"] is not None


def test_invalid_value_type_raises_in_client(make_session):
    session = make_session()
    status = session.get("Status", sid("status", "Approved"))
    session.cache.clear()
    with pytest.raises(ftrack_api.exception.ServerError):
        session.call([{"action": "update", "entity_type": "Status", "entity_key": [status["id"]],
                       "entity_data": {"sort": "high"}}])  # fmt: skip


def test_commit_publishes_ftrack_update_event(ftrack_server, make_session, tmp_path):
    listener = ftrack_api.Session(server_url=ftrack_server.url, api_user="admin", api_key=ftrack_server.users["admin"],
                                  auto_connect_event_hub=True, schema_cache_path=str(tmp_path))  # fmt: skip
    received = []
    try:
        listener.event_hub.subscribe("topic=ftrack.update", lambda event: received.append(event))
        deadline = time.monotonic() + 20
        while not listener.event_hub.connected and time.monotonic() < deadline:
            listener.event_hub.wait(0.1)
        session = make_session()
        status = session.get("Status", sid("status", "Pending review"))
        status["color"] = "#F39C13"
        session.commit()
        while time.monotonic() < deadline and not any(
            e["entityId"] == status["id"] for event in received for e in event["data"]["entities"]
        ):
            listener.event_hub.wait(0.1)
        entity = next(
            e for event in received for e in event["data"]["entities"] if e["entityId"] == status["id"]
        )
        assert entity["entityType"] == "status" and entity["action"] == "update"
        assert entity["changes"]["color"]["new"] == "#F39C13"
    finally:
        listener.close()
