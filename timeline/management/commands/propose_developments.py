import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from timeline.selectors.proposals import desk_proposals


def _published(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--published: '{value}' is not a day written YYYY-MM-DD.") from error


class Command(BaseCommand):
    help = (
        "Propose the dated developments a source text tells of (nothing is recorded). "
        "spaCy's French pipeline is loaded on first use: allow a few seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the source text (.txt or .md, UTF-8)")
        parser.add_argument("--published", required=True, help="publication date, YYYY-MM-DD")
        parser.add_argument("--publication", default="", help="the publication's name")
        parser.add_argument("--lang", default="fr", choices=["fr", "en"])
        parser.add_argument("--json", action="store_true", help="print the proposals as JSON")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"file: cannot read {path}: {error}") from error
        proposals = desk_proposals(
            text=text,
            published=_published(options["published"]),
            publication=options["publication"],
            lang=options["lang"],
        )
        if options["json"]:
            self.stdout.write(
                json.dumps([p.as_json() for p in proposals], ensure_ascii=False, indent=2)
            )
            return
        for p in proposals:
            self.stdout.write(f"{p.date:<26} {p.kind:<20} {p.title}")
            if p.date_note:
                self.stdout.write(f"{'':<26} {p.date_note}")
