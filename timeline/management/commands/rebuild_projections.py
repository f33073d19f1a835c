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
        """1. Reset the read models (unless --resume), dropping their secondary indexes and
           foreign keys.
        2. Replay the events after the checkpoint, in committed batches.
        3. Build the dropped indexes once, then add the foreign keys back (those a killed
           run left too, on --resume).
        """
        verbose = options["verbosity"] > 0
        if not options["resume"]:
            projections.reset(suspend_indexes=True)
        todo = Event.objects.filter(position__gt=projections.checkpoint()).count()
        with tqdm(total=todo, desc="rebuild", unit="ev", disable=not verbose) as bar:
            applied = projections.replay(batch_size=options["batch_size"], progress=bar.update)

        def building(name: str) -> None:
            if verbose:
                self.stdout.write(f"building {name}")

        built = projections.build_suspended_indexes(progress=building)
        summary = f"{applied} events applied; checkpoint at {projections.checkpoint()}"
        if built:
            summary += f"; {built} indexes and foreign keys put back"
        if options["checksum"]:
            summary += f"; checksum {projections.read_model_checksum()}"
        self.stdout.write(self.style.SUCCESS(summary + "."))
