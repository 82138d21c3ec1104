"""The query language as the client emits it (FTRACK-PROTOCOL §3), paging and visibility."""

from __future__ import annotations

import json

import pytest
from devserver_fixtures import start_devserver

from ftrack_devserver.seed import sid


def _data(api, expression, user="producer", server=None):
    reply = api([{"action": "query", "expression": expression}], user=user, server=server)
    assert isinstance(reply, list), reply
    return reply[0]["data"]


def test_default_projection_and_concrete_types(api):
    rows = _data(api, "Context where name is sh010")
    assert {r["__entity_type__"] for r in rows} == {"Shot"}
    assert len(rows) == 2
    assert set(rows[0]) >= {"__entity_type__", "id", "name", "context_type"}
    typed = _data(api, "select name from TypedContext where project.name is demo")
    assert {r["__entity_type__"] for r in typed} == {"Sequence", "Shot", "Task"}
    assert len(typed) == 2 + 6 + 12


def test_unquoted_uuid_and_in_list(api):
    a, b = sid("demo", "sq010"), sid("demo", "sq020")
    assert [r["name"] for r in _data(api, f"select name from Sequence where id is {a}")] == ["sq010"]
    names = [r["name"] for r in _data(api, f"select name from Sequence where id in ({a},{b})")]
    assert names == ["sq010", "sq020"]
    assert (
        _data(api, f'select name from Sequence where id in ("{a}", "{b}") and name not_in (sq010)')[0]["name"]
        == "sq020"
    )


def test_bareword_quotes_and_comparisons(api):
    assert _data(api, "User where username is reviewer.ana")[0]["id"] == sid("user", "reviewer.ana")
    assert _data(api, "User where username is 'reviewer.ana'") == _data(
        api, 'User where username is "reviewer.ana"'
    )
    assert len(_data(api, "select name from Status where sort >= 2")) == 2
    assert [r["name"] for r in _data(api, "select name from Status where sort > 0 and sort < 2")] == [
        "In progress"
    ]
    assert len(_data(api, 'select name from Status where name != "Approved"')) == 3


def test_is_not_none_and_like(api):
    tasks = _data(api, "select name from Task where parent is_not None and project.name is demo")
    assert len(tasks) == 12
    assert _data(api, "select name from Project where parent is_not None") == []
    assert {r["name"] for r in _data(api, 'select name from Status where name like "%review%"')} == {
        "Pending review"
    }
    assert len(_data(api, 'select name from Status where name not_like "%REVIEW%"')) == 3


def test_composite_keys_without_space_before_and(api):
    status, schema = sid("status", "Approved"), sid("schema", "Shot")
    other = sid("status", "Not started")
    expression = (
        f'select sort from SchemaStatus where (status_id is "{status}"and schema_id is "{schema}")'
        f' or (status_id is "{other}"and schema_id is "{schema}")'
    )
    rows = _data(api, expression)
    assert sorted(r["sort"] for r in rows) == [0, 3]
    assert all(set(r) >= {"status_id", "schema_id"} for r in rows)


def test_has_and_any(api):
    shots = _data(api, "select name from Shot where parent has (name is sq020)")
    assert [s["name"] for s in shots] == ["sh010", "sh020", "sh030"]
    with_tasks = _data(
        api, "select name from Shot where children any (name is animation) and project.name is demo"
    )
    assert len(with_tasks) == 6
    empty = _data(api, "select name from Task where not children any () and project.name is demo")
    assert len(empty) == 12


def test_dotted_projections_through_references_and_collections(api):
    task_id = sid("demo", "sq010", "sh020", "compositing")
    row = _data(
        api,
        f"select parent.name, parent.parent.name, project.full_name, status.name from Task where id is {task_id}",
    )[0]
    assert row["parent"]["name"] == "sh020"
    assert row["parent"]["parent"]["name"] == "sq010"
    assert row["project"]["full_name"] == "Demo project"
    assert row["status"]["name"] == "Not started"
    shot = _data(api, f"select children.name from Shot where id is {sid('demo', 'sq010', 'sh020')}")[0]
    assert sorted(c["name"] for c in shot["children"]) == ["animation", "compositing"]
    assert {c["__entity_type__"] for c in shot["children"]} == {"Task"}


def test_order_by_offset_and_limit(api):
    names = [r["name"] for r in _data(api, "select name from Status order by name descending")]
    assert names == sorted(names, reverse=True)
    reply = api(
        [{"action": "query", "expression": "select name from Status order by sort offset 1 limit 2"}]
    )[0]
    assert [r["name"] for r in reply["data"]] == ["In progress", "Pending review"]
    assert reply["metadata"]["next"]["offset"] == 3
    last = api([{"action": "query", "expression": "select name from Status order by sort offset 2 limit 2"}])[
        0
    ]
    assert last["metadata"]["next"]["offset"] is None


def test_locations_seeded(api):
    rows = _data(api, 'select id from Location where name is "ftrack.server" limit 2')
    assert rows == [{"__entity_type__": "Location", "id": "3a372bde-05bc-11e4-8908-20c9d081909b"}]
    assert len(_data(api, "select id from Location")) == 5


def test_client_queries_and_statuses(make_session):
    session = make_session()
    task = session.query(
        "Task where name is compositing and parent.name is sh010 and parent.parent.name is sq010"
    ).one()
    assert task["parent"]["name"] == "sh010"
    schema = task["project"]["project_schema"]
    assert [s["name"] for s in schema.get_statuses("AssetVersion")] == [
        "Not started", "In progress", "Pending review", "Approved",
    ]  # fmt: skip
    assert len(schema.get_statuses("Shot")) == 4
    assert session.query("select id from Location where name is ftrack.server").first() is not None


# -- visibility ------------------------------------------------------------------------------------
def test_private_project_hidden_from_non_members(api):
    secret_task = sid("secret", "sq900", "sh900", "compositing")
    for user in ("producer", "reviewer.ana"):
        assert [p["name"] for p in _data(api, "select name from Project", user=user)] == ["demo"]
        assert _data(api, f"select id from Task where id is {secret_task}", user=user) == []
        assert _data(api, "select name from Context where name like 'sh9%'", user=user) == []
    for user in ("coordinator", "admin"):
        assert sorted(p["name"] for p in _data(api, "select name from Project", user=user)) == [
            "demo",
            "secret",
        ]
        assert len(_data(api, f"select id from Task where id is {secret_task}", user=user)) == 1


def test_private_versions_hidden_from_non_members(api):
    secret_shot = sid("secret", "sq900", "sh900")
    asset_type = sid("asset-type", "Upload")
    reply = api(
        [
            {"action": "create", "entity_type": "Asset", "entity_key": [sid("t", "secret-asset")],
             "entity_data": {"__entity_type__": "Asset", "id": sid("t", "secret-asset"), "name": "secret-plate",
                             "parent": {"__entity_type__": "Shot", "id": secret_shot},
                             "type": {"__entity_type__": "AssetType", "id": asset_type}}},
            {"action": "create", "entity_type": "AssetVersion", "entity_key": [sid("t", "secret-version")],
             "entity_data": {"__entity_type__": "AssetVersion", "id": sid("t", "secret-version"),
                             "asset": {"__entity_type__": "Asset", "id": sid("t", "secret-asset")}}},
        ],
        user="coordinator",
    )  # fmt: skip
    assert reply[1]["data"]["version"] == 1
    assert _data(api, "select id from AssetVersion where asset.name is secret-plate", user="producer") == []
    assert (
        len(_data(api, "select id from AssetVersion where asset.name is secret-plate", user="coordinator"))
        == 1
    )
    # A reference into the private project is cut too.
    rows = _data(api, "select asset.parent from AssetVersion where asset.name is secret-plate", user="admin")
    assert rows[0]["asset"]["parent"]["id"] == secret_shot


# -- paging over many rows (its own server, seeded from JSON) ------------------------------------------
@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    entities = [{"__entity_type__": "Project", "id": sid("big", "p"), "name": "big", "full_name": "Big"}]
    entities += [
        {
            "__entity_type__": "Shot",
            "id": sid("big", str(n)),
            "name": f"sh{n:04d}",
            "parent_id": sid("big", "p"),
        }
        for n in range(1200)
    ]
    seed_file = folder / "seed.json"
    seed_file.write_text(json.dumps({"entities": entities, "api_keys": {"pager": "pager-key"}}))
    entities.insert(0, {"__entity_type__": "User", "id": sid("user", "pager"), "username": "pager"})
    seed_file.write_text(json.dumps({"entities": entities, "api_keys": {"pager": "pager-key"}}))
    server = start_devserver(folder / "data", seed=str(seed_file))
    yield server
    server.stop()


def test_paging_over_1200_rows_is_exact(big_server, make_session):
    session = make_session("pager", server=big_server)
    since = big_server.request_log()[-1]["seq"]
    shots = session.query("select name from Shot").all()
    assert [s["name"] for s in shots] == [f"sh{n:04d}" for n in range(1200)]
    queries = [e for e in big_server.request_log(since) if e["action"] == "query"]
    assert len(queries) == 3  # 500 + 500 + 200, and the last page says next.offset null


def test_paging_order_is_stable_with_user_limit(big_server, api):
    first = api([{"action": "query", "expression": "select name from Shot offset 0 limit 700"}], user="pager",
                server=big_server)[0]  # fmt: skip
    rest = api([{"action": "query", "expression": "select name from Shot offset 700 limit 700"}], user="pager",
               server=big_server)[0]  # fmt: skip
    assert first["metadata"]["next"]["offset"] == 700 and rest["metadata"]["next"]["offset"] is None
    names = [r["name"] for r in first["data"] + rest["data"]]
    assert names == [f"sh{n:04d}" for n in range(1200)]
