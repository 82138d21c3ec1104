"""Seed data: the demo studio (``--seed demo``), JSON seed files, and ``--user`` accounts.

Seeding is idempotent: ids are derived from names (uuid5), and a row whose key already exists is
left as it is, so seeding an existing data dir again changes nothing but API keys.

JSON seed format (``--seed FILE.json``)::

    {"entities": [{"__entity_type__": "Project", "id": "...", "name": "p", ...}, ...],
     "api_keys": {"username": "key"}}

Entities are created in list order with their ids kept; attributes are those ``create`` takes
(scalars, ``{"__type__": "datetime", "value": ...}`` or ISO strings for dates, references as
``{"__entity_type__": T, "id": ...}`` or as the ``*_id`` column). Storage-only link tables
(``WorkflowSchemaStatus``, ``TaskTypeSchemaType``, ``ProjectSchemaObjectType``) and hidden
columns (``Status.state_id``) may be given too.
"""

from __future__ import annotations

import json
import uuid

from . import defaults, schema
from . import entity_types as et
from .actions import Call, _apply

DEMO_USERS = {
    "producer": "demo-key-producer",
    "coordinator": "demo-key-coordinator",
    "admin": "demo-key-admin",
    "reviewer.ana": "demo-key-reviewer-ana",
    "reviewer.ben": "demo-key-reviewer-ben",
    "reviewer.cai": "demo-key-reviewer-cai",
}
# Built-in locations; ids are ftrack_api.symbol's (FTRACK-PROTOCOL §2.4).
LOCATIONS = {
    "ftrack.origin": "ce9b348f-8809-11e3-821c-20c9d081909b",
    "ftrack.unmanaged": "cb268ecc-8809-11e3-a7e2-20c9d081909b",
    "ftrack.review": "cd41be70-8809-11e3-b98a-20c9d081909b",
    "ftrack.server": "3a372bde-05bc-11e4-8908-20c9d081909b",
    "ftrack.connect": "07b82a97-8cf9-11e3-9383-20c9d081909b",
}
OBJECT_TYPES = {  # the ids the schema uses as object_type_id defaults
    "Task": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
    "Shot": "bad911de-3bd6-47b9-8b46-3476e237cb36",
    "Sequence": "e5139355-61da-4c8f-9db4-3abc870166bc",
}
DEFAULT_PRIORITY = "9661b320-3a0c-11e2-81c1-0800200c9a66"
_NS = uuid.UUID("6f1c2b8e-5d4a-4c39-9a7e-0d3f1e2a4b5c")


def sid(*names: str) -> str:
    """Stable id of a seeded row."""
    return str(uuid.uuid5(_NS, "/".join(names)))


class _Seeder:
    def __init__(self, app):
        self.app = app
        self.store = app.store
        self.call = Call(app, "")

    def put(self, type_name: str, data: dict) -> dict:
        store = self.store
        data = dict(data)
        data.pop("__entity_type__", None)
        if type_name in et.LINK_TABLES:
            key = store.key_of(type_name, data)
            found = store.tables.get(type_name, {}).get(key)
            return found if found is not None else store.insert(type_name, data)
        if not et.exists(type_name):
            raise ValueError(f"Unknown entity type '{type_name}' in seed.")
        key = tuple(data.get(k) for k in et.primary_key(type_name))
        if all(k is not None for k in key):
            found = store.get(type_name, key)
            if found is not None:
                return found
        hidden = {k: data.pop(k) for k in schema.HIDDEN_COLUMNS.get(type_name, ()) if k in data}
        changes, collections = _apply(self.call, type_name, {}, data, creating=True)
        row = defaults.for_create(self.call, type_name, changes)
        row.update(hidden)
        return store.insert(type_name, row)

    def user(self, username: str, api_key: str, **extra) -> dict:
        existing = self.store.lookup("User", "username", username)
        row = (
            existing[0]
            if existing
            else self.put("User", {"id": sid("user", username), "username": username, **extra})
        )
        self.app.store.set_api_key(username, api_key)
        return row


def seed_demo(app) -> None:
    with app.store.transaction():
        s = _Seeder(app)
        for name, location_id in LOCATIONS.items():
            s.put("Location", {"id": location_id, "name": name, "label": name})
        people = {
            "producer": ("Paula", "Producer"),
            "coordinator": ("Cora", "Coordinator"),
            "admin": ("Adam", "Admin"),
            "reviewer.ana": ("Ana", "Reviewer"),
            "reviewer.ben": ("Ben", "Reviewer"),
            "reviewer.cai": ("Cai", "Reviewer"),
        }
        users = {}
        for username, key in DEMO_USERS.items():
            first, last = people[username]
            users[username] = s.user(
                username,
                key,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                is_active=True,
            )

        states = {name: s.put("State", {"id": sid("state", name), "name": name, "short": short})["id"]
                  for name, short in (("Not Started", "NOT_STARTED"), ("In Progress", "IN_PROGRESS"),
                                      ("Done", "DONE"), ("Blocked", "BLOCKED"))}  # fmt: skip
        statuses = {}
        for sort, (name, color, state) in enumerate(
            [
                ("Not started", "#CCCCCC", "Not Started"),
                ("In progress", "#3498DB", "In Progress"),
                ("Pending review", "#F39C12", "In Progress"),
                ("Approved", "#2ECC71", "Done"),
            ]
        ):
            statuses[name] = s.put(
                "Status",
                {"id": sid("status", name), "name": name, "color": color, "sort": sort, "is_active": True,
                 "state_id": states[state]},
            )["id"]  # fmt: skip
        workflow = s.put("WorkflowSchema", {"id": sid("workflow", "default"), "name": "Default"})["id"]
        for status_id in statuses.values():
            s.put("WorkflowSchemaStatus", {"workflow_schema_id": workflow, "status_id": status_id})
        for name, object_type_id in OBJECT_TYPES.items():
            s.put("ObjectType", {"id": object_type_id, "name": name, "is_leaf": name == "Task"})
        s.put("Priority", {"id": DEFAULT_PRIORITY, "name": "Medium", "value": 1, "color": "#FFCC00"})
        task_types = {
            name: s.put("Type", {"id": sid("type", name), "name": name})["id"]
            for name in ("Compositing", "Animation")
        }
        type_schema = s.put("TaskTypeSchema", {"id": sid("task-type-schema", "default"), "name": "Default"})[
            "id"
        ]
        for type_id in task_types.values():
            s.put("TaskTypeSchemaType", {"task_type_schema_id": type_schema, "type_id": type_id})
        project_schema = s.put(
            "ProjectSchema",
            {
                "id": sid("project-schema", "vfx"),
                "name": "VFX",
                "task_workflow_schema_id": workflow,
                "asset_version_workflow_schema_id": workflow,
                "task_type_schema_id": type_schema,
            },
        )["id"]
        for name, object_type_id in OBJECT_TYPES.items():
            s.put(
                "ProjectSchemaObjectType",
                {"project_schema_id": project_schema, "object_type_id": object_type_id},
            )
            if name == "Task":
                continue  # tasks take their statuses from the task workflow
            schema_id = s.put(
                "Schema",
                {"id": sid("schema", name), "project_schema_id": project_schema, "type_id": object_type_id,
                 "object_type_id": object_type_id},
            )["id"]  # fmt: skip
            for sort, status_id in enumerate(statuses.values()):
                s.put("SchemaStatus", {"schema_id": schema_id, "status_id": status_id, "sort": sort})
        for name, short in (
            ("Upload", "upload"),
            ("Animation", "anim"),
            ("Compositing", "comp"),
            ("Review", "review"),
        ):
            s.put("AssetType", {"id": sid("asset-type", name), "name": name, "short": short})
        s.put("NoteCategory", {"id": sid("note-category", "Review"), "name": "Review", "color": "#9B59B6"})
        # One row in real ftrack (NoteLabel is an alias of NoteCategory); the client links a
        # category as a label, so both types answer with the same id.
        s.put("NoteLabel", {"id": sid("note-category", "Review"), "name": "Review", "color": "#9B59B6"})

        not_started = statuses["Not started"]

        def project(name, full_name, private, sequences):
            p = s.put(
                "Project",
                {"id": sid("project", name), "name": name, "full_name": full_name, "is_private": private,
                 "project_schema_id": project_schema, "status": "active", "root": ""},
            )["id"]  # fmt: skip
            for seq, shots, tasks in sequences:
                q = s.put(
                    "Sequence", {"id": sid(name, seq), "name": seq, "parent_id": p, "status_id": not_started}
                )
                for shot in shots:
                    sh = s.put("Shot", {"id": sid(name, seq, shot), "name": shot, "parent_id": q["id"],
                                        "status_id": not_started})  # fmt: skip
                    for task in tasks:
                        s.put("Task", {"id": sid(name, seq, shot, task), "name": task, "parent_id": sh["id"],
                                       "status_id": not_started,
                                       "type_id": task_types[task.capitalize()]})  # fmt: skip
            return p

        shots, tasks = ["sh010", "sh020", "sh030"], ["compositing", "animation"]
        demo = project("demo", "Demo project", False, [("sq010", shots, tasks), ("sq020", shots, tasks)])
        secret = project("secret", "Secret project", True, [("sq900", ["sh900"], ["compositing"])])

        role = s.put("SecurityRole", {"id": sid("security-role", "User"), "name": "User", "type": "PROJECT"})[
            "id"
        ]
        memberships = {"producer": [demo], "coordinator": [demo, secret], "admin": None}
        for username, projects in memberships.items():
            user_role = s.put(
                "UserSecurityRole",
                {"id": sid("user-role", username), "user_id": users[username]["id"], "security_role_id": role,
                 "is_all_projects": projects is None},
            )["id"]  # fmt: skip
            for project_id in projects or ():
                s.put(
                    "UserSecurityRoleProject",
                    {"id": sid("user-role-project", username, project_id), "user_security_role_id": user_role,
                     "project_id": project_id},
                )  # fmt: skip


def seed_json(app, path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        document = json.load(fh)
    entities = document.get("entities", []) if isinstance(document, dict) else document
    with app.store.transaction():
        s = _Seeder(app)
        for entity in entities:
            s.put(entity.get("__entity_type__"), entity)
    for username, key in (document.get("api_keys") or {}).items() if isinstance(document, dict) else ():
        app.store.set_api_key(username, key)


def add_user(app, username: str, api_key: str) -> None:
    with app.store.transaction():
        _Seeder(app).user(username, api_key, first_name=username, is_active=True)
