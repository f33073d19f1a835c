from django.core.management.base import BaseCommand

from timeline import seed
from timeline.proposals.evaluation import evaluate
from timeline.proposals.proposer import KnownActor, KnownTopic, propose


class Command(BaseCommand):
    help = (
        "Run the proposer over the seed's source texts and compare with the curated seed: "
        "recall, exact EDTF rate among those found, precision."
    )

    def handle(self, *args, **options):
        developments = seed.read("developments.yaml")
        texts = {
            path.name: path.read_text(encoding="utf-8")
            for path in sorted(seed.SOURCES_DIR.glob("*.txt"))
        }
        # The publication date of each text is the one the seed's curators gave its source.
        published: dict[str, str] = {}
        for development in developments:
            for source in development.get("sources", []):
                published.setdefault(source["file"], source.get("date") or "")
        actors = [
            KnownActor(slug=a["slug"], name=a["name"], kind=a.get("kind", "person"))
            for a in seed.read("actors.yaml")
        ]
        topics = [KnownTopic(slug=t["slug"], name=t["name_fr"]) for t in seed.read("topics.yaml")]
        score = evaluate(
            developments=developments,
            texts=texts,
            published=published,
            run=lambda text, date: propose(text, published=date, actors=actors, topics=topics),
        )
        self.stdout.write(score.table())
