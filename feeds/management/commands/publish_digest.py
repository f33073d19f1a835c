from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feeds import tasks, weeks


class Command(BaseCommand):
    help = (
        "Publish the digest of an ISO week (by default last week) and start sending it. "
        "A week that already has its issue keeps it: nothing is published or sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week such as 2026-W12 (default: last week)")

    def handle(self, **options):
        week = options["week"] or weeks.previous_week(timezone.now())
        try:
            weeks.week_parse(week)
        except weeks.InvalidWeek as error:
            raise CommandError(str(error)) from None
        published = tasks.digest_publish_and_fan_out(week=week)
        digest = published.digest
        if digest is None:
            self.stdout.write(
                f"Nothing was recorded in {week}: no issue "
                "(set DIGEST_PUBLISH_EMPTY_WEEKS=true to publish empty weeks)."
            )
        elif published.created:
            count = digest.deliveries.count()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Published issue {digest.number} for {week}: «{digest.title}», "
                    f"{count} recipient(s); sending has started."
                )
            )
        else:
            self.stdout.write(f"{week} already has issue {digest.number}; nothing to do.")
