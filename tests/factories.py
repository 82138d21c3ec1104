"""Small factory functions for tests: users with a role, tokens, uploads and tiny media files."""

from __future__ import annotations

import itertools
import subprocess
import uuid
from pathlib import Path

import imageio_ffmpeg

_counter = itertools.count(1)


def make_user(username: str | None = None, *, role: str | None = None, password: str = "pw", **fields):
    from django.contrib.auth.models import Group, User

    username = username or f"user{next(_counter)}"
    user = User.objects.create_user(
        username=username, password=password, email=f"{username}@example.com", **fields
    )
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


def make_token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def make_upload(owner, **fields):
    """An Upload row (no bytes on disk unless the caller writes them)."""
    from publishing.models import Upload
    from publishing.uploads import storage

    upload_id = fields.pop("id", None) or uuid.uuid4()
    filename = fields.pop("filename", "plate.mov")
    ext = Path(filename).suffix.lower()
    values = {"size": 1024, "storage_path": storage.staging_path(upload_id, ext)}
    values.update(fields)
    return Upload.objects.create(id=upload_id, owner=owner, filename=filename, **values)


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


def make_movie(path: Path, *, seconds: int = 1, size: str = "64x64", rate: int = 25) -> Path:
    """A tiny H.264 test-pattern movie (mp4 or mov by the path's extension)."""
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}", "-t", str(seconds),
        "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path),
    )  # fmt: skip
    return path


def make_png(path: Path, *, size: str = "64x48") -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate=1", "-frames:v", "1", str(path))
    return path


def flush_namespace(redis_url: str, server_url: str) -> None:
    """Forget cached ftrack data of this dev server (ids of portal users repeat across tests)."""
    import redis

    from publishing.ftrack.cache import server_tag

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"ftrack:{server_tag(server_url)}:*"):
        client.delete(key)
