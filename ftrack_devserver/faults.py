"""Dev-only test aids: injected faults and the log of recent operations.

Faults (``--latency-ms``, ``--fail-rate``, ``--fail-mode``, ``--put-bandwidth`` or
``POST /_devserver/faults``) apply to ``/api`` calls and upload PUTs. The decision to fail is
taken before anything is executed, so a client that retries a failed call never applies it twice.
"""

from __future__ import annotations

import collections
import random
import threading
import time

FAIL_MODES = ("500", "reset", "hang")
LOG_SIZE = 5000


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.latency_ms = 0
        self.fail_rate = 0.0
        self.fail_mode = "500"
        self.put_bandwidth = 0

    def configure(self, values: dict, *, reset: bool = False) -> dict:
        """Apply *values* (validated as a whole first); ``reset`` starts from no faults."""
        latency = int(values.get("latency_ms", 0 if reset else self.latency_ms))
        rate = float(values.get("fail_rate", 0.0 if reset else self.fail_rate))
        mode = str(values.get("fail_mode", "500" if reset else self.fail_mode))
        bandwidth = int(values.get("put_bandwidth", 0 if reset else self.put_bandwidth))
        unknown = set(values) - {"latency_ms", "fail_rate", "fail_mode", "put_bandwidth"}
        if unknown:
            raise ValueError(f"Unknown fault setting: {', '.join(sorted(unknown))}.")
        if latency < 0 or bandwidth < 0 or not 0.0 <= rate <= 1.0 or mode not in FAIL_MODES:
            raise ValueError(
                "latency_ms and put_bandwidth must be >= 0, fail_rate in 0..1, fail_mode 500|reset|hang."
            )
        with self._lock:
            self.latency_ms, self.fail_rate, self.fail_mode, self.put_bandwidth = (
                latency,
                rate,
                mode,
                bandwidth,
            )
        return self.as_dict()

    def as_dict(self) -> dict:
        return {
            "latency_ms": self.latency_ms,
            "fail_rate": self.fail_rate,
            "fail_mode": self.fail_mode,
            "put_bandwidth": self.put_bandwidth,
        }

    def delay(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)  # injected latency, not synchronisation

    def should_fail(self) -> bool:
        return self.fail_rate > 0 and random.random() < self.fail_rate


class RequestLog:
    """Ring buffer of recent operations; ``seq`` increases forever so readers can ask for newer ones."""

    def __init__(self, size: int = LOG_SIZE):
        self._lock = threading.Lock()
        self._entries: collections.deque = collections.deque(maxlen=size)
        self._seq = 0
        self._calls = 0

    def next_call(self) -> int:
        """A new id for one ``POST /api`` request; every operation of it is logged with this id."""
        with self._lock:
            self._calls += 1
            return self._calls

    def add(
        self,
        *,
        action: str,
        entity_type: str | None,
        user: str | None,
        status: str,
        duration_ms: float,
        call: int | None = None,
    ) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append(
                {
                    "seq": self._seq,
                    "call": call,
                    "time": time.time(),
                    "action": action,
                    "entity_type": entity_type,
                    "user": user,
                    "status": status,
                    "duration_ms": round(duration_ms, 3),
                }
            )

    def since(self, seq: int = 0) -> list[dict]:
        with self._lock:
            return [e for e in self._entries if e["seq"] > seq]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
