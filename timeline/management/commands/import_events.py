import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from timeline import backup, projections


class Command(BaseCommand):
    help = (
        "Load an `export_events` file into an EMPTY event log, verifying every checksum, then "
        "rebuild the projections. A damaged or truncated file is refused; nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to read, or - for stdin")

    def handle(self, **options):
        path = options["path"]
        quiet = options["verbosity"] == 0
        if path != "-" and not os.path.isfile(path):
            raise CommandError(f"No such file: {path}")
        size = None if path == "-" else os.path.getsize(path)
        bar = tqdm(
            total=size, desc="import", unit="B", unit_scale=True, disable=quiet, file=sys.stderr
        )
        try:
            with bar:
                if path == "-":
                    result = backup.log_import(source=sys.stdin.buffer, progress=bar.update)
                else:
                    with open(path, "rb") as source:
                        result = backup.log_import(source=source, progress=bar.update)
        except backup.BackupRefused as exc:
            raise CommandError(f"Import refused, nothing imported: {exc}") from None
        if not quiet:
            self.stderr.write(
                self.style.SUCCESS(
                    f"{result.events} events imported (last position {result.last_position}); "
                    f"projections rebuilt, checksum {projections.read_model_checksum()[:16]}."
                )
            )
