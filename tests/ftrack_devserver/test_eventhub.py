"""The event hub in a real HTTP server, driven by websocket-client frames and by ftrack_api's own EventHub."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ftrack_api.event.base
import ftrack_api.event.hub
import pytest
import requests
import websocket

from ftrack_devserver.eventhub import EVENT_KEYS, EventHub

USERS = {"ana": "key-ana", "ben": "key-ben"}


def _wait_for(condition, timeout=10.0, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {message}")


class HubServer:
    """A stdlib ThreadingHTTPServer that routes the two Socket.IO paths to one EventHub."""

    def __init__(self, **hub_options):
        self.hub = EventHub(lambda user, key: USERS.get(user) == key, **hub_options)
        hub = self.hub

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/socket.io/1/":
                    hub.handle_handshake(self)
                elif path.startswith("/socket.io/1/websocket/"):
                    hub.handle_websocket(self, path.rsplit("/", 1)[1])
                else:
                    self.send_error(404)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def handshake(self, user="ana"):
        response = requests.get(
            self.url + "/socket.io/1/", headers={"ftrack-user": user, "ftrack-api-key": USERS[user]}
        )
        assert response.status_code == 200
        return response.text.split(":")[0]

    def raw_client(self, user="ana") -> websocket.WebSocket:
        ws = websocket.create_connection(
            self.url.replace("http", "ws") + "/socket.io/1/websocket/" + self.handshake(user), timeout=5
        )
        assert ws.recv() == "1::"
        return ws

    def stop(self):
        self.hub.close()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = HubServer(heartbeat_interval=0.3)
    yield srv
    srv.stop()


def _recv_event(ws) -> dict:
    """Next delivered event, skipping heartbeats (answering them like a client)."""
    while True:
        packet = ws.recv()
        if packet == "2::":
            ws.send("2:::")
            continue
        assert packet.startswith("5:::"), packet
        payload = json.loads(packet[4:])
        assert payload["name"] == "ftrack.event"
        return payload["args"][0]


def _emit(ws, packet_id: int, event: dict) -> None:
    ws.send(f"5:{packet_id}+::" + json.dumps({"name": "ftrack.event", "args": [event]}))


def _recv_ack(ws) -> str:
    while True:
        packet = ws.recv()
        if packet != "2::":
            return packet


def test_handshake_gives_four_fields_with_websocket(server):
    response = requests.get(
        server.url + "/socket.io/1/", headers={"ftrack-user": "ana", "ftrack-api-key": "key-ana"}
    )
    assert response.status_code == 200
    sid, heartbeat, close, transports = response.text.split(":")
    assert len(sid) >= 16 and int(heartbeat) > 0 and int(close) > 0
    assert transports.split(",") == ["websocket"]


def test_handshake_accepts_query_credentials_like_the_js_client(server):
    response = requests.get(server.url + "/socket.io/1/?api_user=ben&api_key=key-ben")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers", [{"ftrack-user": "ana", "ftrack-api-key": "wrong"}, {"ftrack-user": "ana"}, {}]
)
def test_handshake_refuses_bad_credentials_without_echoing_the_key(server, headers):
    response = requests.get(server.url + "/socket.io/1/", headers=headers)
    assert response.status_code == 401
    assert "wrong" not in response.text


def test_sid_is_single_use_and_unknown_sids_are_refused(server):
    sid = server.handshake()
    ws_url = server.url.replace("http", "ws") + "/socket.io/1/websocket/"
    ws = websocket.create_connection(ws_url + sid, timeout=5)
    assert ws.recv() == "1::"
    for bad in (sid, "not-a-sid"):
        with pytest.raises(websocket.WebSocketBadStatusException) as error:
            websocket.create_connection(ws_url + bad, timeout=5)
        assert error.value.status_code == 403
    ws.close()


def test_events_are_acked_and_broadcast_to_every_connection(server):
    ana, ben = server.raw_client("ana"), server.raw_client("ben")
    event = {"id": "e1", "topic": "my.topic", "data": {"n": 1}, "source": {"id": "hub-a"}, "target": ""}
    event["extra"] = "dropped"
    _emit(ana, 7, event)
    assert _recv_ack(ana) == '6:::7+[{"success": true}]'
    for ws in (ana, ben):  # the publisher gets its own event back: ftrack_api relies on that
        delivered = _recv_event(ws)
        assert sorted(delivered) == sorted(EVENT_KEYS)
        assert delivered["data"] == {"n": 1} and delivered["id"] == "e1"


def test_subscribe_and_unsubscribe_are_tracked_not_broadcast(server):
    ana, ben = server.raw_client("ana"), server.raw_client("ben")
    subscribe = {
        "topic": "ftrack.meta.subscribe",
        "data": {"subscriber": {"id": "s1"}, "subscription": "topic=x"},
    }
    _emit(ana, 1, subscribe)
    assert _recv_ack(ana) == '6:::1+[{"success": true}]'
    _emit(ana, 2, {"topic": "ftrack.meta.unsubscribe", "data": {"subscriber": {"id": "s1"}}})
    assert _recv_ack(ana) == '6:::2+[{"success": true}]'
    _emit(ana, 3, {"topic": "marker"})
    _recv_ack(ana)
    # The first thing ben sees is the marker: the meta events were consumed by the hub.
    assert _recv_event(ben)["topic"] == "marker"


def test_replies_go_only_to_the_connection_of_the_target_hub(server):
    ana, ben, cai = server.raw_client("ana"), server.raw_client("ben"), server.raw_client("ana")
    _emit(ana, 1, {"topic": "ftrack.meta.subscribe", "data": {"subscriber": {"id": "hub-ana"}}})
    _recv_ack(ana)
    reply = {"topic": "ftrack.meta.reply", "target": "id=hub-ana", "inReplyToEvent": "e1", "data": {"ok": 1}}
    _emit(ben, 1, reply)
    _recv_ack(ben)
    got = _recv_event(ana)
    assert got["topic"] == "ftrack.meta.reply" and got["inReplyToEvent"] == "e1"
    _emit(ben, 2, {"topic": "marker"})
    _recv_ack(ben)
    assert _recv_event(cai)["topic"] == "marker"  # cai never saw the reply
    assert _recv_event(ben)["topic"] == "marker"


def test_heartbeats_arrive_and_are_not_ping_ponged(server):
    ws = server.raw_client()
    times = []
    while len(times) < 3:
        assert ws.recv() == "2::"
        times.append(time.monotonic())
        ws.send("2:::")  # the answer must not trigger another heartbeat right away
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(gap > 0.1 for gap in gaps), gaps  # a ping-pong storm would give gaps of microseconds
    ws.send("2:::")  # an unsolicited client heartbeat is answered
    assert ws.recv() == "2::"


def test_websocket_framing_ping_fragments_and_large_payloads(server):
    ws = server.raw_client()
    ws.ping(b"hello")
    frame = ws.recv_data_frame(control_frame=True)[1]
    assert frame.opcode == websocket.ABNF.OPCODE_PONG and frame.data == b"hello"
    # A fragmented text message: three frames, with a ping in between.
    packet = "5:1+::" + json.dumps({"name": "ftrack.event", "args": [{"topic": "frag", "data": {"x": "é"}}]})
    raw = packet.encode()
    ws.send_frame(websocket.ABNF.create_frame(raw[:5], websocket.ABNF.OPCODE_TEXT, fin=0))
    ws.send_frame(websocket.ABNF.create_frame(raw[5:20], websocket.ABNF.OPCODE_CONT, fin=0))
    ws.ping(b"mid")
    ws.send_frame(websocket.ABNF.create_frame(raw[20:], websocket.ABNF.OPCODE_CONT, fin=1))
    assert ws.recv_data_frame(control_frame=True)[1].data == b"mid"
    assert _recv_ack(ws) == '6:::1+[{"success": true}]'
    assert _recv_event(ws)["data"] == {"x": "é"}
    # 16-bit (300 B) and 64-bit (>64 KiB) payload lengths, both directions.
    for size in (300, 70_000):
        _emit(ws, 2, {"topic": "big", "data": {"blob": "z" * size}})
        _recv_ack(ws)
        assert len(_recv_event(ws)["data"]["blob"]) == size


def test_unmasked_client_frame_closes_the_connection(server):
    ws = server.raw_client()
    ws.sock.sendall(b"\x81\x03abc")  # a text frame without the mask bit
    _wait_for(lambda: server.hub.connection_count == 0, message="connection dropped")


def test_disconnect_leaves_no_connection_or_thread_behind(server):
    before = threading.active_count()
    clients = [server.raw_client() for _ in range(3)]
    assert server.hub.connection_count == 3
    clients[0].send("0::")
    clients[1].close()
    clients[2].sock.close()  # abrupt: no close frame
    _wait_for(lambda: server.hub.connection_count == 0, message="connections dropped")
    _wait_for(lambda: server.hub._dispatcher is None, message="dispatcher exit")
    _wait_for(lambda: threading.active_count() <= before, message="threads ended")


def test_silent_client_is_dropped_after_idle_timeout():
    srv = HubServer(heartbeat_interval=0.2, idle_timeout=0.6)
    try:
        srv.raw_client()  # never answers heartbeats
        _wait_for(lambda: srv.hub.connection_count == 0, timeout=5, message="idle drop")
    finally:
        srv.stop()


def test_server_publish_reaches_clients_with_only_event_keys(server):
    ws = server.raw_client()
    sent = server.hub.publish({"topic": "ftrack.update", "data": {"entities": [{"entityType": "task"}]}})
    got = _recv_event(ws)
    assert got == sent and sorted(got) == sorted(EVENT_KEYS)
    assert got["source"]["id"] == server.hub.id and got["target"] == ""


def test_close_disconnects_clients(server):
    ws = server.raw_client()
    server.hub.close()
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        while True:
            ws.recv()
    _wait_for(lambda: server.hub.connection_count == 0, message="closed")


# -- the real ftrack_api client ------------------------------------------------------------------


def _ftrack_hub(server, user):
    hub = ftrack_api.event.hub.EventHub(server.url, user, USERS[user])
    hub.connect()
    return hub


class _Waiter(threading.Thread):
    """Runs hub.wait() like a long-lived ftrack listener would."""

    def __init__(self, hub):
        super().__init__(daemon=True)
        self.hub, self.stop = hub, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.hub.wait(0.05)


def test_ftrack_api_hubs_publish_subscribe_and_reply(server):
    publisher, listener = _ftrack_hub(server, "ana"), _ftrack_hub(server, "ben")
    waiter = _Waiter(listener)
    received, replies = [], []

    def on_event(event):
        received.append(event)
        return {"seen_by": "ben"}

    listener.subscribe("topic=review.test and data.shot=sh010", on_event)
    # The subscribe is acknowledged asynchronously; publish once the server knows the subscriber.
    _wait_for(lambda: any(c.subscribers for c in server.hub._connections if c.username == "ben"))
    waiter.start()
    try:
        event = ftrack_api.event.base.Event(topic="review.test", data={"shot": "sh010"})
        publisher.publish(event, on_reply=replies.append)
        publisher.publish(ftrack_api.event.base.Event(topic="review.test", data={"shot": "other"}))
        _wait_for(lambda: received, message="event at the listener")
        while not replies:
            publisher.wait(0.05)
        assert received[0]["data"] == {"shot": "sh010"}
        assert received[0]["source"]["user"]["username"] == "ana"
        assert replies[0]["data"] == {"seen_by": "ben"}
        assert replies[0]["in_reply_to_event"] == event["id"]
        assert len(received) == 1  # the other shot was filtered out by the client
    finally:
        waiter.stop.set()
        waiter.join()
        publisher.disconnect()
        listener.disconnect()
    _wait_for(lambda: server.hub.connection_count == 0, message="clients gone")


def test_ftrack_api_synchronous_publish_stays_local(server):
    hub = _ftrack_hub(server, "ana")
    try:
        hub.subscribe("topic=local.only", lambda event: "local result")
        results = hub.publish(ftrack_api.event.base.Event(topic="local.only"), synchronous=True)
        assert results == ["local result"]
    finally:
        hub.disconnect()


# -- end to end through the dev server (python -m ftrack_devserver serve) --------------------------


def _session(ftrack_server, user, tmp_path):
    import ftrack_api

    session = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_user=user,
        api_key=ftrack_server.users[user],
        auto_connect_event_hub=True,
        schema_cache_path=str(tmp_path),
    )
    _wait_for(lambda: session.event_hub.connected, message=f"{user}'s event hub connection")
    return session


def test_devserver_sessions_exchange_events_and_replies(ftrack_server, tmp_path):
    producer = _session(ftrack_server, "producer", tmp_path)
    reviewer = _session(ftrack_server, "reviewer.ana", tmp_path)
    received, replies = [], []

    def on_review(event):
        received.append(event)
        return {"ack": "ana"}

    reviewer.event_hub.subscribe("topic=portal.review-requested", on_review)
    waiter = _Waiter(reviewer.event_hub)
    waiter.start()
    try:
        # Publish until the reviewer's subscription is live: the subscribe ack is asynchronous.
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            event = ftrack_api.event.base.Event(topic="portal.review-requested", data={"version": "v1"})
            producer.event_hub.publish(event, on_reply=replies.append)
            producer.event_hub.wait(0.2)
        assert received and received[0]["data"] == {"version": "v1"}
        assert received[0]["source"]["user"]["username"] == "producer"
        while not replies and time.monotonic() < deadline:
            producer.event_hub.wait(0.05)
        assert replies and replies[0]["data"] == {"ack": "ana"}
    finally:
        waiter.stop.set()
        waiter.join()
        producer.close()
        reviewer.close()


def test_devserver_commit_reaches_subscribers_as_ftrack_update(ftrack_server, tmp_path):
    producer = _session(ftrack_server, "producer", tmp_path)
    listener = _session(ftrack_server, "coordinator", tmp_path)
    updates = []
    listener.event_hub.subscribe("topic=ftrack.update", updates.append)
    waiter = _Waiter(listener.event_hub)
    waiter.start()
    try:
        shot = producer.query('Shot where name is "sh010" and parent.name is "sq010"').first()
        asset_type = producer.query('AssetType where name is "Upload"').first()
        # The subscription must be known to the server before the commit happens.
        probe = []
        listener.event_hub.subscribe("topic=probe.ready", probe.append)
        deadline = time.monotonic() + 10
        while not probe and time.monotonic() < deadline:
            producer.event_hub.publish(ftrack_api.event.base.Event(topic="probe.ready"))
            producer.event_hub.wait(0.1)
        assert probe, "the listener's subscription never became live"
        asset = producer.create("Asset", {"name": "eventhub-e2e", "parent": shot, "type": asset_type})
        producer.commit()

        def seen():
            return [
                e
                for u in updates
                for e in u["data"].get("entities", [])
                if e.get("entityId") == asset["id"] and e.get("action") == "add"
            ]

        _wait_for(seen, message="ftrack.update for the new asset")
        assert updates[0]["source"]["id"]
    finally:
        waiter.stop.set()
        waiter.join()
        producer.close()
        listener.close()
