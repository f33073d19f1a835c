from django.core.management.base import BaseCommand
from tqdm import tqdm

from timeline import projections
from timeline.models import Event


class Command(BaseCommand):
    help = (
        "Replay the whole event log into the read models. With --resume, apply only what "
        "follows the checkpoint (after an interrupted rebuild)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--resume", action="store_true", help="do not reset first")
        parser.add_argument("--batch-size", type=int, default=projections.BATCH_SIZE)
        parser.add_argument(
            "--checksum",
            action="store_true",
            help="print a checksum of the read models at the end (reads every row again)",
        )

    def handle(self, **options):
        if not options["resume"]:
            projections.reset()
        todo = Event.objects.filter(position__gt=projections.checkpoint()).count()
        with tqdm(total=todo, desc="rebuild", unit="ev", disable=options["verbosity"] == 0) as bar:
            applied = projections.catch_up(batch_size=options["batch_size"], progress=bar.update)
        summary = f"{applied} events applied; checkpoint at {projections.checkpoint()}"
        if options["checksum"]:
            summary += f"; checksum {projections.read_model_checksum()}"
        self.stdout.write(self.style.SUCCESS(summary + "."))
