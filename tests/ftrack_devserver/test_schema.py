"""The dev server's declared schema, held against a real ftrack server's ``query_schemas`` answer."""

import hashlib
import http.server
import json
import threading
from pathlib import Path

import ftrack_api
import ftrack_api.entity.factory
import ftrack_api.entity.location
import pytest

from ftrack_devserver import schema
from ftrack_devserver.schema_notation import T, expand, parse_token, to_schema

# A real ftrack server's query_schemas answer, reduced to the types the dev server serves
# (tests/ftrack_devserver/data/regenerate.py makes it from a folder of reference responses).
REFERENCE = Path(__file__).resolve().parent / "data" / "reference_schemas.json"

# The types the publishing recipes touch (docs/ftrack-protocol.md) plus those statuses, types and
# priorities need.
REQUIRED_TYPES = """
    Location Component FileComponent SequenceComponent ContainerComponent ComponentLocation Asset
    AssetType AssetVersion Context TypedContext Project Sequence Shot Task User Resource Group Status
    Note Recipient NoteComponent NoteLabelLink NoteCategory NoteLabel Job JobComponent Metadata
    CustomAttributeConfiguration ProjectSchema ObjectType Type State Priority Membership
    WorkflowSchema Schema SchemaStatus SchemaType TaskTypeSchema ProjectSchemaOverride
""".split()

# The fragment keys that decide what kind of attribute the client builds.
TYPE_KEYS = ("type", "format", "$ref")


@pytest.fixture(scope="module")
def reference():
    return {entry["id"]: entry for entry in json.loads(REFERENCE.read_text())}


def _kind(fragment):
    out = {key: fragment[key] for key in TYPE_KEYS if key in fragment}
    if "items" in fragment:
        out["items"] = fragment["items"].get("$ref")
    return out


def _refs(entry):
    for fragment in entry["properties"].values():
        if "$ref" in fragment:
            yield fragment["$ref"]
        if "$ref" in fragment.get("items", {}):
            yield fragment["items"]["$ref"]


def test_required_types_are_served():
    missing = [t for t in REQUIRED_TYPES if t not in schema.SCHEMA_BY_ID]
    assert missing == []
    assert len(schema.SCHEMAS) == len(schema.SCHEMA_BY_ID)


def test_every_served_type_matches_the_reference(reference):
    for entry in schema.SCHEMAS:
        type_id = entry["id"]
        assert type_id in reference, type_id
        real = reference[type_id]
        assert entry["primary_key"] == real["primary_key"], type_id
        assert sorted(entry["properties"]) == sorted(real["properties"]), type_id
        for name, fragment in entry["properties"].items():
            assert _kind(fragment) == _kind(real["properties"][name]), f"{type_id}.{name}"


def test_defaults_flags_and_restrictions_match_the_reference(reference):
    for entry in schema.SCHEMAS:
        real = reference[entry["id"]]
        for name, fragment in entry["properties"].items():
            real_fragment = real["properties"][name]
            where = f"{entry['id']}.{name}"
            assert fragment.get("default", "<unset>") == real_fragment.get("default", "<unset>"), where
            assert type(fragment.get("default")) is type(real_fragment.get("default")), where
            assert fragment.get("restricted_projection") == real_fragment.get("restricted_projection"), where
        for key in ("required", "computed"):
            assert set(entry.get(key, [])) == set(real.get(key, [])), (entry["id"], key)
        # The reference lists a non-existent "type" as immutable on two list types; we cannot.
        real_immutable = set(real.get("immutable", [])) & set(real["properties"])
        assert set(entry["immutable"]) == real_immutable, entry["id"]
        assert entry["default_projections"] == real["default_projections"], entry["id"]


def test_defaults_the_client_sends_on_create():
    props = {t: schema.SCHEMA_BY_ID[t]["properties"] for t in schema.SCHEMA_BY_ID}
    assert props["FileComponent"]["name"]["default"] == "main"
    assert props["FileComponent"]["size"]["default"] == 0
    assert props["AssetVersion"]["comment"]["default"] == ""
    assert props["AssetVersion"]["is_published"]["default"] is True
    assert props["Note"]["is_todo"]["default"] is False
    assert props["Job"]["type"]["default"] == "api_job"
    assert props["Job"]["status"]["default"] == "queued"
    assert props["Task"]["object_type_id"]["default"] == "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"
    # Creates carry a client-made id for every flow type keyed by id.
    for type_id in REQUIRED_TYPES:
        entry = schema.SCHEMA_BY_ID[type_id]
        if entry["primary_key"] == ["id"]:
            assert entry["properties"]["id"].get("default") == "{uid}", type_id


def test_every_ref_target_is_served():
    dangling = {(e["id"], ref) for e in schema.SCHEMAS for ref in _refs(e) if ref not in schema.SCHEMA_BY_ID}
    assert dangling == set()


def test_projection_lists_name_existing_attributes():
    for entry in schema.SCHEMAS:
        props = entry["properties"]
        assert entry["default_projections"], entry["id"]
        for key in (
            "default_projections",
            "primary_key",
            "required",
            "immutable",
            "computed",
            "system_projections",
        ):
            unknown = [name for name in entry.get(key, []) if name not in props]
            assert unknown == [], (entry["id"], key, unknown)
        assert "$mixin" not in entry


def test_schema_hash_is_md5_of_sorted_dump():
    expected = hashlib.md5(json.dumps(schema.SCHEMAS, sort_keys=True).encode()).hexdigest()
    assert schema.SCHEMA_HASH == expected
    # The whole answer must be plain JSON (no tuples or sets sneaking in from the notation).
    assert json.loads(json.dumps(schema.SCHEMAS)) == schema.SCHEMAS


def test_relations_name_existing_attributes():
    assert set(schema.RELATIONS) <= set(schema.SCHEMA_BY_ID)
    for type_id, relations in schema.RELATIONS.items():
        props = schema.SCHEMA_BY_ID[type_id]["properties"]
        hidden = schema.HIDDEN_COLUMNS.get(type_id, ())
        for name, rel in relations.items():
            where = f"{type_id}.{name}"
            assert name in props, where
            fragment = props[name]
            declared_target = fragment.get("$ref") or fragment["items"]["$ref"]
            assert rel.target == declared_target, where
            target_props = schema.SCHEMA_BY_ID[rel.target]["properties"]
            if rel.kind == "reference":
                assert "$ref" in fragment and "type" not in fragment, where
                assert rel.local in props or rel.local in hidden, where
                assert rel.remote == "id" and "id" in target_props, where
            else:
                assert rel.kind == ("mapped" if fragment["type"] == "mapped_array" else "collection"), where
                assert rel.local in props, where
                if "through" in rel.extra:
                    assert rel.remote == "id", where
                    assert rel.extra["through"][0] not in schema.SCHEMA_BY_ID, where
                else:
                    assert rel.remote in target_props, where
                for attr in rel.extra.get("where", {}):
                    assert attr in target_props, where


@pytest.mark.parametrize(
    ("type_id", "attribute", "kind", "target", "local", "remote"),
    [
        ("Asset", "parent", "reference", "Context", "context_id", "id"),
        ("Asset", "type", "reference", "AssetType", "type_id", "id"),
        ("Asset", "versions", "collection", "AssetVersion", "id", "asset_id"),
        ("AssetVersion", "asset", "reference", "Asset", "asset_id", "id"),
        ("AssetVersion", "task", "reference", "Task", "task_id", "id"),
        ("AssetVersion", "status", "reference", "Status", "status_id", "id"),
        ("AssetVersion", "user", "reference", "User", "user_id", "id"),
        ("AssetVersion", "thumbnail", "reference", "Component", "thumbnail_id", "id"),
        ("AssetVersion", "components", "collection", "Component", "id", "version_id"),
        ("AssetVersion", "notes", "collection", "Note", "id", "parent_id"),
        ("AssetVersion", "metadata", "mapped", "Metadata", "id", "parent_id"),
        ("FileComponent", "version", "reference", "AssetVersion", "version_id", "id"),
        ("FileComponent", "container", "reference", "ContainerComponent", "container_id", "id"),
        ("FileComponent", "component_locations", "collection", "ComponentLocation", "id", "component_id"),
        ("FileComponent", "metadata", "mapped", "Metadata", "id", "parent_id"),
        ("SequenceComponent", "members", "collection", "Component", "id", "container_id"),
        ("ContainerComponent", "members", "collection", "Component", "id", "container_id"),
        ("ComponentLocation", "component", "reference", "Component", "component_id", "id"),
        ("ComponentLocation", "location", "reference", "Location", "location_id", "id"),
        ("Location", "location_components", "collection", "ComponentLocation", "id", "location_id"),
        ("Context", "parent", "reference", "Context", "parent_id", "id"),
        ("Context", "children", "collection", "Context", "id", "parent_id"),
        ("Context", "assets", "collection", "Asset", "id", "context_id"),
        ("Context", "notes", "collection", "Note", "id", "parent_id"),
        ("Context", "thumbnail", "reference", "Component", "thumbnail_id", "id"),
        ("Task", "project", "reference", "Project", "project_id", "id"),
        ("Task", "status", "reference", "Status", "status_id", "id"),
        ("Task", "type", "reference", "Type", "type_id", "id"),
        ("Shot", "object_type", "reference", "ObjectType", "object_type_id", "id"),
        ("Shot", "metadata", "mapped", "Metadata", "id", "parent_id"),
        ("Project", "project_schema", "reference", "ProjectSchema", "project_schema_id", "id"),
        ("Project", "children", "collection", "Context", "id", "parent_id"),
        ("Note", "author", "reference", "User", "user_id", "id"),
        ("Note", "recipients", "collection", "Recipient", "id", "note_id"),
        ("Note", "category", "reference", "NoteCategory", "category_id", "id"),
        ("Note", "in_reply_to", "reference", "Note", "in_reply_to_id", "id"),
        ("Note", "replies", "collection", "Note", "id", "in_reply_to_id"),
        ("Note", "note_label_links", "collection", "NoteLabelLink", "id", "note_id"),
        ("Note", "note_components", "collection", "NoteComponent", "id", "note_id"),
        ("Recipient", "note", "reference", "Note", "note_id", "id"),
        ("Recipient", "recipient", "reference", "Resource", "resource_id", "id"),
        ("Recipient", "user", "reference", "User", "resource_id", "id"),
        ("NoteLabelLink", "note", "reference", "Note", "note_id", "id"),
        ("NoteLabelLink", "label", "reference", "NoteLabel", "label_id", "id"),
        ("Job", "user", "reference", "User", "user_id", "id"),
        ("Job", "job_components", "collection", "JobComponent", "id", "job_id"),
        ("JobComponent", "job", "reference", "Job", "job_id", "id"),
        ("JobComponent", "component", "reference", "Component", "component_id", "id"),
        ("User", "memberships", "collection", "Membership", "id", "user_id"),
        ("Status", "state", "reference", "State", "state_id", "id"),
        ("ProjectSchema", "_task_workflow", "reference", "WorkflowSchema", "task_workflow_schema_id", "id"),
        (
            "ProjectSchema",
            "_version_workflow",
            "reference",
            "WorkflowSchema",
            "asset_version_workflow_schema_id",
            "id",
        ),
        ("ProjectSchema", "_task_type_schema", "reference", "TaskTypeSchema", "task_type_schema_id", "id"),
        ("ProjectSchema", "_schemas", "collection", "Schema", "id", "project_schema_id"),
        ("ProjectSchema", "_overrides", "collection", "ProjectSchemaOverride", "id", "project_schema_id"),
        (
            "ProjectSchemaOverride",
            "workflow_schema",
            "reference",
            "WorkflowSchema",
            "workflow_schema_id",
            "id",
        ),
        ("SchemaStatus", "task_status", "reference", "Status", "status_id", "id"),
        ("SchemaType", "task_type", "reference", "Type", "type_id", "id"),
    ],
)
def test_publishing_flow_relations(type_id, attribute, kind, target, local, remote):
    rel = schema.RELATIONS[type_id][attribute]
    assert (rel.kind, rel.target, rel.local, rel.remote) == (kind, target, local, remote)


def test_polymorphic_children_carry_parent_type_and_links_go_through_tables():
    assert schema.RELATIONS["AssetVersion"]["notes"].extra == {"parent_type": True}
    assert schema.RELATIONS["FileComponent"]["metadata"].extra == {"parent_type": True}
    assert schema.RELATIONS["Note"]["replies"].extra == {}
    statuses = schema.RELATIONS["WorkflowSchema"]["statuses"]
    assert statuses.extra["through"] == ("WorkflowSchemaStatus", "workflow_schema_id", "status_id")
    types = schema.RELATIONS["TaskTypeSchema"]["types"]
    assert types.extra["through"] == ("TaskTypeSchemaType", "task_type_schema_id", "type_id")
    assignments = schema.RELATIONS["Task"]["assignments"]
    assert (assignments.remote, assignments.extra["where"]) == ("context_id", {"type": "assignment"})


def test_subtypes_and_storage_tables():
    assert schema.SUBTYPES["Context"] == ["Project", "Sequence", "Shot", "Task"]
    assert schema.SUBTYPES["TypedContext"] == ["Sequence", "Shot", "Task"]
    assert schema.SUBTYPES["Component"] == ["FileComponent", "SequenceComponent", "ContainerComponent"]
    assert schema.SUBTYPES["Resource"] == ["User", "Group"]
    assert set(schema.SUBTYPES) == set(schema.SCHEMA_BY_ID)
    concrete = set()
    for base, subs in schema.SUBTYPES.items():
        assert subs, base
        concrete.update(subs)
        for sub in subs:
            assert schema.SUBTYPES[sub] == [sub], (base, sub)
            # A subtype has every attribute its base has, so a query on the base can read it.
            assert set(schema.SCHEMA_BY_ID[base]["properties"]) <= set(schema.SCHEMA_BY_ID[sub]["properties"])
    assert set(schema.STORAGE_TABLE) == concrete
    assert {schema.STORAGE_TABLE[t] for t in schema.SUBTYPES["Context"]} == {"Context"}
    assert {schema.STORAGE_TABLE[t] for t in schema.SUBTYPES["Component"]} == {"Component"}
    assert schema.STORAGE_TABLE["User"] == schema.STORAGE_TABLE["Group"] == "Resource"
    assert schema.STORAGE_TABLE["AssetVersion"] == "AssetVersion"


def test_primary_key_and_scalar_attributes():
    assert schema.primary_key("Metadata") == ["parent_id", "key"]
    assert schema.primary_key("Recipient") == ["note_id", "resource_id"]
    scalars = schema.scalar_attributes("AssetVersion")
    assert {"id", "version", "comment", "asset_id", "date", "is_published"} <= set(scalars)
    assert not {"asset", "components", "metadata", "notes"} & set(scalars)
    assert "dashboard_id" in schema.scalar_attributes("DashboardResource")
    assert "dashboard" not in schema.scalar_attributes("DashboardResource")


def test_the_real_client_builds_classes_from_the_schemas():
    factory = ftrack_api.entity.factory.StandardFactory()
    classes = {entry["id"]: factory.create(entry) for entry in schema.SCHEMAS}
    version = classes["AssetVersion"]
    assert version.primary_key_attributes == ["id"]
    attrs = version.attributes
    assert type(attrs.get("components")).__name__ == "CollectionAttribute"
    assert type(attrs.get("metadata")).__name__ == "KeyValueMappedCollectionAttribute"
    assert type(attrs.get("asset")).__name__ == "ReferenceAttribute"
    assert attrs.get("date").data_type == "datetime"
    assert hasattr(version, "create_component") and hasattr(version, "create_thumbnail")
    assert hasattr(version, "create_note")
    assert classes["Metadata"].primary_key_attributes == ["parent_id", "key"]
    assert hasattr(classes["FileComponent"], "get_availability")
    assert issubclass(classes["Location"], ftrack_api.entity.location.Location)
    assert hasattr(classes["ProjectSchema"], "get_statuses")
    # Restricted projections are dropped by the client, as for a real server.
    assert classes["Task"].attributes.get("custom_attribute_links") is None
    # default_projections are what the client selects when a query names none.
    assert classes["Task"].default_projections == ["context_type", "id", "name"]


def test_notation_tokens():
    prop = parse_token("asset>Asset@asset_id!^")
    assert prop.fragment == {"$ref": "Asset"} and prop.via == "asset_id"
    assert prop.required and prop.immutable and not prop.computed
    prop = parse_token("size:int=0")
    assert prop.fragment == {"type": "integer", "default": 0}
    prop = parse_token("name!=")
    assert prop.fragment == {"type": "string", "default": ""} and prop.required
    prop = parse_token("items[Task]@ListObject(list_id,entity_id)")
    assert prop.fragment == {"type": "array", "items": {"$ref": "Task"}}
    assert (prop.via, prop.link) == ("ListObject", ("list_id", "entity_id"))
    prop = parse_token("allocations[Appointment]@context_id&type=allocation")
    assert prop.filter == ("type", "allocation")
    with pytest.raises(ValueError):
        parse_token("size:integer")
    with pytest.raises(ValueError):
        parse_token("members:fk[Component]")


def test_notation_inheritance_overrides_by_name():
    expanded = expand(
        [
            T("Base", "id!^={uid} 'label=two words' n:num", dp="id label", sys="label"),
            T("Child", "n:num^=1.5 extra:bool=true", base="Base"),
        ]
    )
    child = to_schema(expanded["Child"])
    assert list(child["properties"]) == ["id", "label", "n", "extra"]
    assert child["properties"]["label"] == {"type": "string", "default": "two words"}
    assert child["properties"]["n"] == {"type": "number", "default": 1.5}
    assert child["immutable"] == ["id", "n"]
    assert child["default_projections"] == ["id", "label"]
    assert child["system_projections"] == ["label"]
    with pytest.raises(ValueError):
        expand([T("Orphan", "id", base="Missing")])


class _SchemaOnlyHandler(http.server.BaseHTTPRequestHandler):
    """Answers just the two start-up actions, so the real client can start a session."""

    def do_POST(self):
        operations = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.actions.append([op["action"] for op in operations])
        results = []
        for op in operations:
            if op["action"] == "query_server_information":
                results.append({"version": "dev", "schema_hash": schema.SCHEMA_HASH})
            elif op["action"] == "query_schemas":
                results.append(schema.SCHEMAS)
            else:
                results.append({"exception": "ServerError", "content": "not served in this test"})
        body = json.dumps(results).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def schema_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SchemaOnlyHandler)
    server.actions = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_real_session_starts_and_reuses_its_schema_cache(schema_server, tmp_path):
    def start():
        return ftrack_api.Session(
            server_url=f"http://127.0.0.1:{schema_server.server_port}",
            api_user="producer",
            api_key="not-a-real-key",
            schema_cache_path=str(tmp_path),
            plugin_paths=[],
            auto_connect_event_hub=False,
        )

    session = start()
    try:
        assert schema_server.actions == [["query_server_information"], ["query_schemas"]]
        assert set(session.types) == set(schema.SCHEMA_BY_ID)
        component = session.create("FileComponent", {"name": "ftrackreview-mp4"})
        assert (component["size"], len(component["id"])) == (0, 36)
        job = session.create("Job", {})
        assert (job["type"], job["status"]) == ("api_job", "queued")
        version = session.create("AssetVersion", {})
        assert (version["comment"], version["is_published"]) == ("", True)
    finally:
        session.close()

    # Same content, same hash: the second session loads the schemas from its cache file.
    start().close()
    assert schema_server.actions[2:] == [["query_server_information"]]
