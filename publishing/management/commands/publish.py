"""``manage.py publish FILE... --context PATH --asset NAME``: publish local files from a script.

With ``--match-names [--project NAME]`` each file goes to the task its name (or folder) names, by
the project's naming rules (``_publish_match``): the plan is printed (file → task, asset,
version); files that cannot be placed make it exit 2 unless ``--context`` gives a default.

Stages the files through the upload service (as if uploaded), creates the batch with the same
checks as the upload page, and with ``--wait`` follows the jobs until each is published or failed.
``--dry-run`` stages nothing and writes nothing: it prints the ftrack operations the publish would
commit (see ``_publish_dry_run``).

Exit codes: 0 published (or queued, without --wait); 1 a job failed, ftrack refused or is down;
2 a usage problem (missing file, unknown user, path, asset type or reviewer, unpublishable file).
"""

from __future__ import annotations

import argparse
import getpass
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from publishing.core.errors import ContextNotFound, MissingCredential, PublishError
from publishing.core.roles import can_upload
from publishing.ftrack import browse
from publishing.ftrack.context_paths import resolve_path
from publishing.management.commands._publish_dry_run import dry_run
from publishing.models import PublishJob
from publishing.pipeline.batches import BatchInvalid, batch_create
from publishing.uploads.services import UploadRefused

from ._publish_files import group_items, stage_file
from ._publish_match import plan_items, plan_lines, unplaced

TERMINAL = ("published", "failed", "cancelled")


def usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Publish local media files to ftrack for review (stages them, then creates one batch)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="movies, stills or the frames of image sequences")
        parser.add_argument(
            "--context",
            help='ftrack path, e.g. "demo/sq010/sh010/compositing" (with --match-names: the default)',
        )
        parser.add_argument("--asset", help="asset name (every item becomes a version of it)")
        parser.add_argument(
            "--match-names", action="store_true", help="place each file on the task its name names"
        )
        parser.add_argument("--project", help="ftrack project for --match-names (default: the --context's)")
        parser.add_argument("--type", default="Upload", dest="asset_type", help="ftrack asset type (Upload)")
        parser.add_argument("--comment", default="", help="version comment and note to the reviewers")
        parser.add_argument(
            "--reviewer", action="append", default=[], help="ftrack username or full name; repeatable"
        )
        parser.add_argument("--user", help="portal user publishing (default: your login name)")
        parser.add_argument("--no-encode", action="store_true", help="do not encode for web review")
        parser.add_argument("--wait", action="store_true", help="follow the jobs until published or failed")
        parser.add_argument(
            "--timeout", type=float, default=None, help="give up waiting after SECONDS (exit 1)"
        )
        parser.add_argument("--poll", type=float, default=1.0, help=argparse.SUPPRESS)
        parser.add_argument(
            "--dry-run", action="store_true", help="print the ftrack operations it would commit; send none"
        )

    def handle(self, *args, **options):
        paths = self._files(options["files"])
        user = self._user(options["user"])
        items = group_items(paths)
        if not options["match_names"] and not (options["context"] and options["asset"]):
            raise usage("Give --context and --asset, or --match-names.")
        try:
            target = self._resolve(user, options)
            plan = self._plan(user, target, items, options) if options["match_names"] else None
            if options["dry_run"] and plan is not None:
                self.stdout.write("Nothing was sent to ftrack and nothing was staged.")
                return
            if options["dry_run"]:
                return self._dry_run(user, target, items, options)
            uploads = self._stage(user, items)
            batch = self._create(user, target, items, uploads, options, plan)
        except ContextNotFound as problem:
            raise usage(str(problem)) from None
        except MissingCredential as problem:
            raise usage(str(problem)) from None
        except PublishError as problem:  # rejected key, ftrack down...
            raise CommandError(str(problem), returncode=1) from None
        where = target["path"] if plan is None else "their tasks"
        self.stdout.write(f"Batch {batch.pk}: {batch.jobs.count()} job(s) queued → {where}")
        if options["wait"]:
            self._wait(batch, timeout=options["timeout"], poll=options["poll"])

    # --- checks -----------------------------------------------------------------------------------
    def _files(self, names: list[str]) -> list[Path]:
        paths = []
        allowed = set(settings.ALLOWED_UPLOAD_EXTENSIONS)
        for name in names:
            path = Path(name)
            if not path.is_file():
                raise usage(f"No such file: {name}")
            if path.suffix.lower() not in allowed:
                raise usage(f"{path.name}: files of type {path.suffix or '(none)'} cannot be published.")
            paths.append(path)
        return paths

    def _user(self, username: str | None):

        username = username or getpass.getuser()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise usage(f"No active portal user named “{username}”; name one with --user.")
        if not can_upload(user):
            raise usage(f"Portal user {username} may not publish (producers and admins publish).")
        return user

    def _resolve(self, user, options) -> dict:

        target = resolve_path(user, options["context"]) if options["context"] else {"id": "", "path": ""}
        known = {t["name"] for t in browse.asset_types(user)}
        if options["asset_type"] not in known:
            raise usage(
                f"ftrack has no asset type “{options['asset_type']}”. Types: {', '.join(sorted(known))}."
            )
        people = browse.users(user)
        reviewers = []
        for wanted in options["reviewer"]:
            match = [p for p in people if wanted.lower() in (p["username"].lower(), p["name"].lower())]
            if len(match) != 1:
                raise usage(f"No single active ftrack user named “{wanted}” (use the ftrack username).")
            reviewers.append(match[0])
        target["reviewers"] = reviewers
        return target

    def _plan(self, user, target, items, options) -> list[dict]:
        project = options["project"] or target.get("path", "").split(" / ")[0]
        if not project:
            raise usage("Name the ftrack project with --project (or give a --context).")
        plan = plan_items(user, project, items, options["asset_type"])
        default = target if target["id"] else None
        for line in plan_lines(items, plan, default):
            self.stdout.write(line)
        missing = unplaced(items, plan)
        if missing and default is None:
            raise usage("Not placed (choose with --context, or rename):\n  " + "\n  ".join(missing))
        return plan

    # --- the publish ------------------------------------------------------------------------------
    def _stage(self, user, items) -> dict[Path, object]:

        staged = {}
        for item in items:
            for path in item.paths:
                try:
                    upload = stage_file(user, path)
                except UploadRefused as refused:
                    raise usage(f"{path.name}: {refused.message}") from None
                if upload.state != upload.State.READY:
                    raise usage(f"{path.name} cannot be published: {upload.reject_reason or upload.state}")
                staged[path] = upload
            self.stdout.write(f"Staged {item.label}")
        return staged

    def _create(self, user, target, items, uploads, options, plan=None):

        service_items = []
        for position, item in enumerate(items):
            raw = {
                "kind": item.kind,
                "asset_name": options["asset"],
                "upload_ids": [str(uploads[path].pk) for path in item.paths],
            }
            row = plan[position] if plan else None
            if row and row["status"] == "placed":
                raw.update(context_id=row["context_id"], asset_name=options["asset"] or row["asset_name"])
            elif row:
                raw["asset_name"] = options["asset"] or item.paths[0].stem
            if item.kind == "sequence":
                raw.update(frames=item.frames, pattern=item.pattern)
            service_items.append(raw)
        try:
            return batch_create(
                owner=user,
                context_id=target["id"],
                asset_type=options["asset_type"],
                comment=options["comment"],
                reviewers=[r["id"] for r in target["reviewers"]],
                encode=not options["no_encode"],
                items=service_items,
            )
        except BatchInvalid as invalid:
            problems = [f"{field}: {' '.join(messages)}" for field, messages in invalid.errors.items()]
            for item, errors in zip(items, invalid.item_errors, strict=False):
                problems += [f"{item.label}: {' '.join(messages)}" for messages in errors.values()]
            raise usage("The batch was refused:\n  " + "\n  ".join(problems)) from None

    def _wait(self, batch, *, timeout: float | None, poll: float) -> None:

        deadline = None if timeout is None else time.monotonic() + timeout
        shown: dict[int, tuple] = {}
        while True:
            jobs = list(PublishJob.objects.filter(batch=batch).order_by("id"))
            for job in jobs:
                state = (job.status, job.stage, int(job.progress * 10))
                if shown.get(job.pk) != state:
                    shown[job.pk] = state
                    self.stdout.write(self._progress_line(job))
            if all(job.status in TERMINAL for job in jobs):
                break
            if deadline is not None and time.monotonic() > deadline:
                raise CommandError(
                    f"Still publishing after {timeout:g} s; follow batch {batch.pk} in the portal."
                )
            time.sleep(poll)  # polling the job rows the worker updates
        failed = [job for job in jobs if job.status != "published"]
        if failed:
            lines = [
                f"{job.asset_name}: {job.get_status_display()} — {job.error_message or job.error_code}"
                for job in failed
            ]
            raise CommandError("Not published:\n  " + "\n  ".join(lines), returncode=1)
        for job in jobs:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Published {job.asset_name} v{job.ftrack_version_number}: {job.review_url}"
                )
            )

    @staticmethod
    def _progress_line(job) -> str:
        percent = f" {int(job.progress * 100)}%" if job.status == "running" and job.progress else ""
        return f"[{job.asset_name} #{job.pk}] {job.get_status_display()}: {job.get_stage_display()}{percent}"

    def _dry_run(self, user, target, items, options) -> None:
        self.stdout.write(
            f"Dry run as {user.get_username()} → {target['path']} ({target['type']} {target['id']})"
        )
        if target["reviewers"]:
            self.stdout.write("Reviewers: " + ", ".join(r["username"] for r in target["reviewers"]))
        for item in items:
            self.stdout.write(f"Would stage {item.label} as {item.kind}")
        operations = dry_run(
            user,
            context_id=target["id"],
            asset_type=options["asset_type"],
            asset_name=options["asset"],
            comment=options["comment"],
            items=items,
        )
        self.stdout.write(f"ftrack operations that would be committed ({len(operations)}):")
        for line in operations:
            self.stdout.write(f"  {line}")
        self.stdout.write("Nothing was sent to ftrack and nothing was staged.")
