"""Component data is served only for components that exist and that the asking user may see.

Data PUT to a signed URL for a component id that was never committed lies on the server's disk;
neither the review page's media route nor ``/component/get`` with an API key may hand it out.
"""

from __future__ import annotations

import uuid

import requests

from ftrack_devserver.seed import sid


def _put_orphan_data(api, component: str, data: bytes) -> None:
    meta = api([{"action": "get_upload_metadata", "component_id": component, "file_name": "orphan.bin",
                 "file_size": len(data)}])[0]  # fmt: skip
    assert requests.put(meta["url"], data=data, headers=meta["headers"], timeout=30).status_code == 200


def _review_login(server, username: str) -> requests.Session:
    browser = requests.Session()
    response = browser.post(
        f"{server.url}/review/login",
        data={"username": username, "api_key": server.users[username]},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303, response.text
    return browser


def _create_component(api, component: str, *, user: str = "producer", version: str | None = None) -> None:
    data = {"__entity_type__": "FileComponent", "id": component, "name": "main", "file_type": ".bin",
            "size": 5}  # fmt: skip
    if version:
        data["version_id"] = version
    reply = api(
        [
            {
                "action": "create",
                "entity_type": "FileComponent",
                "entity_key": [component],
                "entity_data": data,
            }
        ],
        user=user,
    )
    assert isinstance(reply, list), reply


def test_uncommitted_component_data_is_not_served(api, ftrack_server):
    component = str(uuid.uuid4())
    _put_orphan_data(api, component, b"draft")
    assert (ftrack_server.data_dir / "files" / component).read_bytes() == b"draft"

    reviewer = _review_login(ftrack_server, "reviewer.ana")
    media = f"{ftrack_server.url}/review/media/{component}"
    assert reviewer.get(media, timeout=30).status_code == 404
    by_key = {"id": component, "username": "reviewer.ana", "apiKey": ftrack_server.users["reviewer.ana"]}
    assert requests.get(f"{ftrack_server.url}/component/get", params=by_key, timeout=30).status_code == 404

    # Once the component is committed the same file is served: the refusal above was about the row.
    _create_component(api, component)
    assert reviewer.get(media, timeout=30).content == b"draft"
    assert requests.get(f"{ftrack_server.url}/component/get", params=by_key, timeout=30).content == b"draft"


def test_component_in_private_project_is_served_to_members_only(api, ftrack_server):
    asset, version, component = (str(uuid.uuid4()) for _ in range(3))
    reply = api(
        [
            {"action": "create", "entity_type": "Asset", "entity_key": [asset],
             "entity_data": {"__entity_type__": "Asset", "id": asset, "name": f"secret-{asset[:8]}",
                             "parent": {"__entity_type__": "Shot", "id": sid("secret", "sq900", "sh900")},
                             "type": {"__entity_type__": "AssetType", "id": sid("asset-type", "Upload")}}},
            {"action": "create", "entity_type": "AssetVersion", "entity_key": [version],
             "entity_data": {"__entity_type__": "AssetVersion", "id": version,
                             "asset": {"__entity_type__": "Asset", "id": asset}}},
        ],
        user="coordinator",
    )  # fmt: skip
    assert isinstance(reply, list), reply
    _create_component(api, component, user="coordinator", version=version)
    _put_orphan_data(api, component, b"plate")

    media = f"{ftrack_server.url}/review/media/{component}"
    assert _review_login(ftrack_server, "producer").get(media, timeout=30).status_code == 404
    assert _review_login(ftrack_server, "coordinator").get(media, timeout=30).content == b"plate"
