"""``manage.py cleanup_uploads [--dry-run]``: remove the data of abandoned partial uploads.

An upload nobody sent a byte to for UPLOAD_EXPIRY is expired: its partial file goes, its row stays
(marked expired, so the tus client is told 410 rather than 404). Complete uploads are never touched.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from publishing.uploads.names import describe_size
from publishing.uploads.services import uploads_cleanup_expired


class Command(BaseCommand):
    help = "Expire partial uploads past UPLOAD_EXPIRY and delete their data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be removed; remove nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        uploads = uploads_cleanup_expired(dry_run=dry_run)
        verb = "Would expire" if dry_run else "Expired"
        for upload in uploads:
            received = describe_size(upload.offset)
            self.stdout.write(
                f"{verb} {upload.pk} {upload.filename} ({received} of {describe_size(upload.size)})"
            )
        self.stdout.write(f"{verb} {len(uploads)} abandoned upload(s).")
