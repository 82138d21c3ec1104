"""File data of components in ftrack.server: signed upload URLs, PUTs, multi-part uploads, downloads.

Blobs live in ``<data>/files/<component id>``. Upload URLs carry an HMAC signature and an expiry
instead of an API key (the client PUTs with no auth headers, FTRACK-PROTOCOL §4.1). A PUT streams
the body to a temporary file in the data dir (receive.py), checks ``Content-MD5`` and only then
renames it into place, so a failed or corrupt upload leaves nothing behind.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import os
import re
import shutil
import time
import uuid
from urllib.parse import quote, urlencode

from .errors import ValidationError
from .receive import receive_to_file

CHUNK = 1 << 20
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
            return self._start_multipart(server_url, component_id, parts)
        headers = {
            "Content-Type": _content_type(file_name),
            "Content-Disposition": f'attachment; filename="{file_name.replace(chr(34), "")}"',
        }
        if op.get("checksum"):
            headers["Content-MD5"] = op["checksum"]
        url = f"{server_url}/upload/{component_id}?{self.signer.query('put', component_id)}"
        return {"url": url, "headers": headers, "component_id": component_id}

    def _start_multipart(self, server_url: str, component_id: str, parts: int) -> dict:
        if parts > 10000:
            raise ValidationError("At most 10000 parts are allowed.")
        upload_id = uuid.uuid4().hex
        folder = os.path.join(self.parts_dir, upload_id)
        os.makedirs(folder)
        with open(os.path.join(folder, "upload.json"), "w") as fh:
            json.dump({"component_id": component_id, "parts": parts}, fh)
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

    def complete_multipart(self, server_url: str, op: dict) -> dict:
        upload_id, component_id = str(op.get("upload_id") or ""), op.get("component_id")
        folder = os.path.join(self.parts_dir, upload_id)
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id) or not os.path.isdir(folder):
            raise ValidationError("Unknown upload_id.")
        with open(os.path.join(folder, "upload.json")) as fh:
            meta = json.load(fh)
        if meta["component_id"] != component_id:
            raise ValidationError("upload_id belongs to another component.")
        parts = sorted(op.get("parts") or [], key=lambda p: int(p.get("part_number", 0)))
        if not parts:
            raise ValidationError("complete_multipart_upload needs the parts.")
        tmp = self.temp_path()
        try:
            with open(tmp, "wb") as out:
                for part in parts:
                    n = int(part["part_number"])
                    part_path = os.path.join(folder, f"{n}.part")
                    etag_path = part_path + ".md5"
                    if not os.path.exists(part_path):
                        raise ValidationError(f"Part {n} was never uploaded.")
                    with open(etag_path) as fh:
                        if fh.read() != str(part.get("e_tag", "")).strip('"'):
                            raise ValidationError(f"Part {n} does not match its ETag.")
                    with open(part_path, "rb") as src:
                        shutil.copyfileobj(src, out, 8 * CHUNK)
            os.replace(tmp, self.path(component_id))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        return {
            "action": "complete_multipart_upload",
            "component_id": component_id,
            "url": self.signer.download_url(server_url, component_id),
        }

    # -- HTTP side -------------------------------------------------------------------------------
    def receive(
        self, handler, target: str, expected_md5: str | None, bandwidth: int = 0, *, want_md5: bool = False
    ) -> tuple[bool, str]:
        """Stream the request body into *target*; return (ok, hex md5 or "" or error text).

        MD5 costs more than the disk write, so it is computed only when a ``Content-MD5`` is to be
        checked or an ETag answered, and then on a second core (receive.py).
        """
        length_header = handler.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            return False, "Content-Length is required."
        remaining = int(length_header)
        tmp = self.temp_path()
        digest = hashlib.md5() if (expected_md5 or want_md5) else None
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
            folder = os.path.join(self.parts_dir, upload_id)
            if not os.path.isdir(folder):
                return handler.send_plain(404, "Unknown upload.")
            part_path = os.path.join(folder, f"{n}.part")
            ok, info = self.receive(
                handler, part_path, handler.headers.get("Content-MD5"), bandwidth, want_md5=True
            )
            if not ok:
                return handler.send_plain(400, info)
            with open(part_path + ".md5", "w") as fh:
                fh.write(info)
            return handler.send_plain(200, "", extra_headers={"ETag": f'"{info}"'})
        return handler.send_plain(404, "Not found.")

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


def _content_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"
