from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feeds import digests, tasks, weeks

SECTION_NAMES = {
    "lead": "À la une",
    "this_week": "Cette semaine",
    "upcoming": "À venir",
    "unscheduled": "À venir, date à préciser",
    "corrections": "Rectificatifs",
    "archive": "Ajouté aux archives",
}


class Command(BaseCommand):
    help = (
        "Publish the digest of an ISO week (by default the last completed week) with its "
        "draft as it stands, and start sending it. A week still in progress is refused "
        "unless --force. A week that already has its issue keeps it: nothing is published "
        "or sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week such as 2026-W12 (default: last week)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="publish a week still in progress (what happens after is left out)",
        )

    def handle(self, **options):
        week = options["week"] or weeks.previous_week(timezone.now())
        try:
            weeks.week_parse(week)
            published = tasks.digest_publish_and_fan_out(week=week, force=options["force"])
        except (weeks.InvalidWeek, digests.WeekInProgress) as error:
            raise CommandError(str(error)) from None
        digest = published.digest
        if digest is None:
            self.stdout.write(
                f"Nothing happened in {week}: no issue "
                "(set DIGEST_PUBLISH_EMPTY_WEEKS=true to publish empty weeks)."
            )
            return
        if not published.created:
            self.stdout.write(f"{week} already has issue {digest.number}; nothing to do.")
            return
        counts = digests.section_counts(digest.content)
        recipients = digest.deliveries.count()
        self.stdout.write(
            self.style.SUCCESS(f"Published issue {digest.number} for {week}: «{digest.title}».")
        )
        for name, label in SECTION_NAMES.items():
            self.stdout.write(f"  {label}: {counts[name]}")
        self.stdout.write(f"{recipients} recipient(s); sending has started.")
