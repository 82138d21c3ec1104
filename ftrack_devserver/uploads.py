"""File data of components in ftrack.server: signed upload URLs, PUTs, multi-part uploads, downloads.

Blobs live in ``<data>/files/<component id>``. Upload URLs carry an HMAC signature and an expiry
instead of an API key (the client PUTs with no auth headers, FTRACK-PROTOCOL §4.1). A PUT streams
the body to a temporary file in the data dir (receive.py), checks ``Content-MD5`` and only then
renames it into place, so a failed or corrupt upload leaves nothing behind.

A multi-part upload (FTRACK-PROTOCOL §4.5) owns ``<data>/multipart/<upload id>/``: ``data``, sized
to ``file_size`` at the start, into which each part PUT writes at its own offset, and one
``<n>.json`` record (offset, length, MD5) per part received. Completion checks the records and
renames ``data`` into ``files/``: no part is copied, and until then nothing is visible.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import mimetypes
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote, urlencode

from .errors import ValidationError
from .receive import receive_to_file

URL_LIFETIME = 24 * 3600


class Signer:
    def __init__(self, secret: str):
        self._key = secret.encode()

    def sign(self, *parts) -> str:
        message = "\n".join(str(p) for p in parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def check(self, signature: str, expires: str, *parts) -> bool:
        try:
            if int(expires) < time.time():
                return False
        except (TypeError, ValueError):
            return False
        return hmac.compare_digest(self.sign(*parts, expires), signature or "")

    def query(self, *parts) -> str:
        expires = int(time.time()) + URL_LIFETIME
        return urlencode({"expires": expires, "signature": self.sign(*parts, expires)})

    def download_url(self, server_url: str, component_id: str) -> str:
        return f"{server_url}/component/get?id={quote(component_id)}&{self.query('get', component_id)}"


class Files:
    def __init__(self, data_dir: str, signer: Signer):
        self.dir = os.path.join(data_dir, "files")
        self.parts_dir = os.path.join(data_dir, "multipart")
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.parts_dir, exist_ok=True)
        self.signer = signer
        # Multi-part uploads in progress: which parts are being written, and whether the upload
        # is closed (being completed). In memory: after a restart nothing is in flight.
        self._guard = threading.Lock()
        self._uploads: dict[str, dict] = {}

    def path(self, component_id: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", component_id or "") or component_id.startswith("."):
            raise ValidationError("Invalid component id.")
        return os.path.join(self.dir, component_id)

    def temp_path(self) -> str:
        return os.path.join(self.dir, f".tmp-{uuid.uuid4().hex}")

    # -- get_upload_metadata ---------------------------------------------------------------------
    def upload_metadata(self, server_url: str, op: dict) -> dict:
        component_id = op.get("component_id")
        if not component_id:
            raise ValidationError("get_upload_metadata needs a component_id.")
        self.path(component_id)
        file_name = str(op.get("file_name") or component_id)
        parts = op.get("parts")
        if isinstance(parts, int) and not isinstance(parts, bool) and parts >= 1:
            return self._start_multipart(server_url, component_id, parts, op.get("file_size"))
        headers = {
            "Content-Type": _content_type(file_name),
            "Content-Disposition": f'attachment; filename="{file_name.replace(chr(34), "")}"',
        }
        if op.get("checksum"):
            headers["Content-MD5"] = op["checksum"]
        url = f"{server_url}/upload/{component_id}?{self.signer.query('put', component_id)}"
        return {"url": url, "headers": headers, "component_id": component_id}

    def _start_multipart(self, server_url: str, component_id: str, parts: int, file_size) -> dict:
        if parts > 10000:
            raise ValidationError("At most 10000 parts are allowed.")
        # Every part is written straight to its place in one file, so the size must be known now.
        if not isinstance(file_size, int) or isinstance(file_size, bool) or file_size < 0:
            raise ValidationError("A multi-part upload needs the file_size.")
        upload_id = uuid.uuid4().hex
        folder = os.path.join(self.parts_dir, upload_id)
        os.makedirs(folder)
        # Sized up front (sparse: costs no time); parts fill it in at their offsets.
        with open(os.path.join(folder, "data"), "wb") as fh:
            fh.truncate(file_size)
        _write_json(
            os.path.join(folder, "upload.json"),
            {"component_id": component_id, "parts": parts, "file_size": file_size},
        )
        urls = []
        for n in range(1, parts + 1):
            signed = self.signer.query("part", component_id, upload_id, n)
            urls.append(
                {
                    "signed_url": f"{server_url}/upload/{component_id}/{upload_id}/{n}?{signed}",
                    "part_number": n,
                }
            )
        return {"component_id": component_id, "upload_id": upload_id, "urls": urls}

    def _upload_folder(self, upload_id: str) -> str | None:
        folder = os.path.join(self.parts_dir, upload_id)
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id) or not os.path.isdir(folder):
            return None
        return folder

    def complete_multipart(self, server_url: str, op: dict) -> tuple[dict, Callable, Callable]:
        """Check the part list against what was received; answer (result, finish, cancel).

        Nothing is copied: the parts already sit in place in the upload's one data file, so
        ``finish`` (run once the call has committed) only renames it into ``files/``. Between the
        check and ``finish``/``cancel`` the upload is closed to further part PUTs, so no write can
        land in the file after its parts were verified.
        """
        upload_id, component_id = str(op.get("upload_id") or ""), op.get("component_id")
        folder = self._upload_folder(upload_id)
        if folder is None:
            raise ValidationError("Unknown upload_id.")
        with open(os.path.join(folder, "upload.json")) as fh:
            meta = json.load(fh)
        if meta["component_id"] != component_id:
            raise ValidationError("upload_id belongs to another component.")
        target = self.path(component_id)
        given = op.get("parts")
        if not isinstance(given, list) or not given:
            raise ValidationError("complete_multipart_upload needs the parts.")
        try:
            etags = {int(p["part_number"]): str(p.get("e_tag") or "").strip('"') for p in given}
        except (TypeError, KeyError, ValueError):
            raise ValidationError("Each part needs a part_number and an e_tag.")
        if len(etags) != len(given) or sorted(etags) != list(range(1, meta["parts"] + 1)):
            raise ValidationError(f"The parts must be 1 to {meta['parts']}, each listed once.")
        with self._guard:
            state = self._uploads.setdefault(upload_id, {"writing": set(), "closed": False})
            if state["closed"]:
                raise ValidationError("This upload is already being completed.")
            # The parts must tile the file exactly: a part PUT with another size than its
            # siblings would have left a gap or overwritten a neighbour.
            offset = 0
            for n in range(1, meta["parts"] + 1):
                record = _read_json(os.path.join(folder, f"{n}.json"))
                if record is None or n in state["writing"]:
                    raise ValidationError(f"Part {n} was never uploaded.")
                if record["etag"] != etags[n]:
                    raise ValidationError(f"Part {n} does not match its ETag.")
                if record["offset"] != offset:
                    raise ValidationError(f"Part {n} does not follow part {n - 1}: the part sizes differ.")
                offset += record["length"]
            if offset != meta["file_size"]:
                raise ValidationError("The parts do not add up to the file_size.")
            state["closed"] = True

        def finish() -> None:
            with self._guard:  # a part PUT checks for the data file under the same lock
                os.replace(os.path.join(folder, "data"), target)
                self._uploads.pop(upload_id, None)
            shutil.rmtree(folder, ignore_errors=True)

        def cancel() -> None:
            with self._guard:
                state["closed"] = False

        result = {
            "action": "complete_multipart_upload",
            "component_id": component_id,
            "url": self.signer.download_url(server_url, component_id),
        }
        return result, finish, cancel

    # -- HTTP side -------------------------------------------------------------------------------
    def receive(self, handler, target: str, expected_md5: str | None, bandwidth: int = 0) -> tuple[bool, str]:
        """Stream the request body into *target*; return (ok, hex md5 or "" or error text).

        MD5 costs more than the disk write, so it is computed only when a ``Content-MD5`` is to be
        checked, and then on a second core (receive.py).
        """
        length_header = handler.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            return False, "Content-Length is required."
        remaining = int(length_header)
        tmp = self.temp_path()
        digest = hashlib.md5() if expected_md5 else None
        try:
            with open(tmp, "wb", buffering=0) as out:
                if not receive_to_file(handler, out, remaining, digest, bandwidth):
                    return False, "The upload ended early."
            if (
                digest is not None
                and expected_md5
                and base64.b64encode(digest.digest()).decode() != expected_md5.strip()
            ):
                return False, "Content-MD5 does not match the data received."
            os.replace(tmp, target)
            tmp = None
            return True, digest.hexdigest() if digest is not None else ""
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)

    def handle_put(self, handler, path: str, params: dict, bandwidth: int = 0) -> None:
        parts = path.strip("/").split("/")  # upload/<cid>[/<upload_id>/<n>]
        signature, expires = params.get("signature", ""), params.get("expires", "")
        if len(parts) == 2:
            component_id = parts[1]
            if not self.signer.check(signature, expires, "put", component_id):
                return handler.send_plain(403, "Invalid or expired upload URL.")
            ok, info = self.receive(
                handler, self.path(component_id), handler.headers.get("Content-MD5"), bandwidth
            )
            return handler.send_plain(200 if ok else 400, "" if ok else info)
        if len(parts) == 4 and parts[3].isdigit():
            component_id, upload_id, n = parts[1], parts[2], int(parts[3])
            if not self.signer.check(signature, expires, "part", component_id, upload_id, n):
                return handler.send_plain(403, "Invalid or expired upload URL.")
            status, text, etag = self.receive_part(handler, upload_id, n, bandwidth)
            extra = {"ETag": f'"{etag}"'} if etag else None
            if status != 200:
                handler.close_connection = True  # the body may not have been read
            return handler.send_plain(status, text, extra_headers=extra)
        return handler.send_plain(404, "Not found.")

    def receive_part(self, handler, upload_id: str, n: int, bandwidth: int) -> tuple[int, str, str]:
        """Write part *n* at its offset in the upload's data file; answer (status, text, etag).

        Parts are equal in size except a shorter last one (S3 rules), so the body length places
        the part: part n < N starts at (n-1)·length, the last one ends at ``file_size``. That
        works whichever part size the client chose. The MD5 (the ETag) is computed while the body
        arrives, on a helper thread, so parallel parts hash on several cores.
        """
        folder = self._upload_folder(upload_id)
        if folder is None:
            return 404, "Unknown upload.", ""
        meta = _read_json(os.path.join(folder, "upload.json"))
        length_header = handler.headers.get("Content-Length")
        if meta is None or not 1 <= n <= meta["parts"]:
            return 404, "Unknown upload or part.", ""
        if length_header is None or not length_header.isdigit():
            return 411, "Content-Length is required.", ""
        length = int(length_header)
        offset = meta["file_size"] - length if n == meta["parts"] else (n - 1) * length
        if offset < 0 or offset + length > meta["file_size"]:
            return 400, "The part does not fit in the file_size announced.", ""
        record_path, data_path = os.path.join(folder, f"{n}.json"), os.path.join(folder, "data")
        with self._guard:
            if not os.path.exists(data_path):  # completed since the check above
                return 404, "Unknown upload.", ""
            state = self._uploads.setdefault(upload_id, {"writing": set(), "closed": False})
            if state["closed"] or n in state["writing"]:
                return 409, "This upload is being completed, or this part is already being sent.", ""
            state["writing"].add(n)
            # From here the part's bytes change: its old record (a retried part) no longer holds.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(record_path)
        try:
            digest = hashlib.md5()
            fd = os.open(data_path, os.O_WRONLY)
            try:
                ok = receive_to_file(handler, _At(fd, offset), length, digest, bandwidth)
            finally:
                os.close(fd)
            if not ok:
                return 400, "The upload ended early.", ""
            expected = handler.headers.get("Content-MD5")
            if expected and base64.b64encode(digest.digest()).decode() != expected.strip():
                return 400, "Content-MD5 does not match the data received.", ""
            etag = digest.hexdigest()
            _write_json(record_path, {"offset": offset, "length": length, "etag": etag})
            return 200, "", etag
        finally:
            with self._guard:
                state["writing"].discard(n)

    def send(self, handler, component_id: str, content_type: str | None = None) -> None:
        """Stream a blob, honouring a single HTTP Range (206) as players and resuming clients use."""
        path = self.path(component_id)
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            return handler.send_plain(404, "No data for this component.")
        with fh:
            size = os.fstat(fh.fileno()).st_size
            start, end, status = 0, size - 1, 200
            range_header = handler.headers.get("Range")
            if range_header:
                m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", range_header)
                if not m or (not m.group(1) and not m.group(2)):
                    return handler.send_plain(
                        416, "Unsupported range.", extra_headers={"Content-Range": f"bytes */{size}"}
                    )
                if m.group(1):
                    start = int(m.group(1))
                    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
                else:
                    start = max(0, size - int(m.group(2)))
                if start >= size or start > end:
                    return handler.send_plain(
                        416, "Range not satisfiable.", extra_headers={"Content-Range": f"bytes */{size}"}
                    )
                status = 206
            length = end - start + 1 if size else 0
            handler.flush_log(status)
            handler.send_response(status)
            handler.send_header("Content-Type", content_type or "application/octet-stream")
            handler.send_header("Content-Length", str(length))
            handler.send_header("Accept-Ranges", "bytes")
            if status == 206:
                handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            handler.end_headers()
            if handler.command == "HEAD" or not length:
                return
            handler.wfile.flush()
            handler.connection.sendfile(fh, start, length)

    def remove(self, component_id: str) -> bool:
        try:
            os.unlink(self.path(component_id))
            return True
        except FileNotFoundError:
            return False


class _At:
    """A file object that writes at a fixed offset onwards (``pwrite``: parts share one file)."""

    def __init__(self, fd: int, offset: int):
        self._fd, self._offset = fd, offset

    def write(self, data) -> int:
        n = os.pwrite(self._fd, data, self._offset)
        self._offset += n
        return n


def _write_json(path: str, value: dict) -> None:
    """Write atomically: a reader sees the old file, no file, or the whole new one."""
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as fh:
        json.dump(value, fh)
    os.replace(tmp, path)


def _read_json(path: str) -> dict | None:
    try:
        with open(path) as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


def _content_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"
