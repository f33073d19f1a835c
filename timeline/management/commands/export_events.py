import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from timeline import backup
from timeline.models import Event


class Command(BaseCommand):
    help = (
        "Write the event log (and the topics and actors it names) as checksummed JSON Lines: "
        "the backup. `import_events` restores it into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="file to write, or - for stdout")

    def handle(self, **options):
        path = options["path"]
        total = Event.objects.count()
        quiet = options["verbosity"] == 0
        # The progress bar and the summary go to stderr, so `-` leaves stdout pure JSON Lines.
        with tqdm(total=total, desc="export", unit="ev", disable=quiet, file=sys.stderr) as bar:
            if path == "-":
                result = backup.log_export(out=sys.stdout.buffer, progress=bar.update)
            else:
                with open(path, "wb") as out:
                    result = backup.log_export(out=out, progress=bar.update)
        if not quiet:
            self.stderr.write(
                self.style.SUCCESS(
                    f"{result.events} events exported (last position {result.last_position}); "
                    f"chain {result.chain[:16]}."
                )
            )
