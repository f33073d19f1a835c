"""The digest on the seeded database, the clock frozen: week 2025-W48 (24–30 November
2025), the seed loaded on the Wednesday of that week and published the next Monday."""

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from feeds import emails
from feeds.models import Digest
from tests.feeds.conftest import record
from timeline import seed
from timeline.models import Development

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
LOADED = datetime.datetime(2025, 11, 26, 10, 0, tzinfo=BRUSSELS)
MONDAY_AFTER = datetime.datetime(2025, 12, 1, 8, 0, tzinfo=BRUSSELS)


@pytest.fixture
def seeded(db):
    with time_machine.travel(LOADED, tick=False):
        seed.load()
        # Beside the seed, an agenda to test: one meeting in the next four weeks, one
        # beyond, one scheduled before the week's end and never confirmed.
        soon = record(title="Réunion du comité mixte", status="scheduled", date="2025-12-10")
        far = record(title="Visite d'été", status="scheduled", date="2026-06-15")
        past = record(title="Réunion non confirmée", status="scheduled", date="2025-11-20")
    return {"soon": soon, "far": far, "past": past}


def publish(*args: str) -> str:
    out = io.StringIO()
    call_command("publish_digest", *args, stdout=out)
    return out.getvalue()


def test_week_48_tells_its_week_its_agenda_and_a_capped_archive(seeded):
    with time_machine.travel(MONDAY_AFTER, tick=False):
        out = publish()  # the last completed week: 2025-W48
    issue = Digest.objects.get()
    content = issue.content
    assert issue.week == "2025-W48"
    assert f"Published issue {issue.number} for 2025-W48" in out

    # Cette semaine: exactly the developments dated (to within the week) in 24–30 Nov.
    dated = {
        str(d.id)
        for d in Development.objects.filter(
            date_lower__gte="2025-11-24", date_upper__lte="2025-11-30"
        ).exclude(status__in=["cancelled", "retracted"])
    }
    assert dated and {item["id"] for item in content["this_week"]} == dated

    # À venir: the next four weeks' scheduled developments, nothing past, nothing beyond.
    upcoming = {item["id"] for item in content["upcoming"]}
    assert str(seeded["soon"].id) in upcoming
    assert str(seeded["far"].id) not in upcoming
    for name in ("this_week", "upcoming", "unscheduled"):
        assert str(seeded["past"].id) not in {item["id"] for item in content[name]}
    for item in content["upcoming"] + content["unscheduled"]:
        assert item["status"] == "scheduled"
        assert Development.objects.get(id=item["id"]).date_upper > datetime.date(2025, 11, 30)
    # "la semaine prochaine" in a 24 November article: one day of 1–7 December, so on the
    # agenda; a date vaguer than that ("bientôt") waits under "date à préciser".
    titles = {item["title"]: item for item in content["upcoming"] + content["unscheduled"]}
    assert "22e Conseil de coopération Kazakhstan–UE" in {i["title"] for i in content["upcoming"]}
    assert content["unscheduled"], titles

    # The archive: the rest of the seed, recorded that week, capped in what readers see.
    assert len(content["archive"]) > emails.ARCHIVE_CAP
    more = len(content["archive"]) - emails.ARCHIVE_CAP
    archive = issue.text[issue.text.index("AJOUTÉ AUX ARCHIVES") :]
    assert archive.count("\n- ") == emails.ARCHIVE_CAP
    assert f"et {more} autres → " in archive

    # The masthead, and an issue that is no dump of the seed.
    assert "Numéro 1 · Semaine du 24 au 30 novembre 2025" in issue.text
    shown = len(re.findall(r"/developments/[0-9a-f-]{36}/", issue.text))
    assert shown < 20 < Development.objects.count()
    assert len(issue.html) < 25_000


def test_the_week_in_progress_is_refused_and_nothing_is_published(seeded):
    with time_machine.travel(LOADED, tick=False):
        with pytest.raises(CommandError, match=r"2025-W48 is still in progress.*30 November 2025"):
            publish("--week", "2025-W48")
        assert not Digest.objects.exists()
        assert "Published issue 1 for 2025-W48" in publish("--week", "2025-W48", "--force")
