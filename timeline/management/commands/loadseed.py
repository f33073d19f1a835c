from django.core.management.base import BaseCommand
from tqdm import tqdm

from timeline import seed


class Command(BaseCommand):
    help = "Load the curated seed timeline through the commands (idempotent)."

    def handle(self, **options):
        total = len(seed.read("developments.yaml"))
        with tqdm(total=total, desc="seed", unit="dev", disable=options["verbosity"] == 0) as bar:
            result = seed.load(progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.topics} topics, {result.actors} actors; "
                f"{result.recorded} developments recorded, "
                f"{result.already_present} already in the log "
                f"({result.corrected} corrected, {result.confirmed} confirmed)."
            )
        )
