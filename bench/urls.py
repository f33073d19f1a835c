"""The app's URLs, plus what the benchmarks compare it with; mounted only by bench/settings.py."""

from django.urls import include, path

from bench import peers

urlpatterns = [
    path("bench/peer/timeline.rss", peers.TimelinePeerFeed(), name="bench-peer-timeline"),
    path(
        "bench/peer/timeline-conditional.rss",
        peers.conditional(peers.TimelinePeerFeed()),
        name="bench-peer-timeline-conditional",
    ),
    path("bench/peer/topics/<slug:slug>.rss", peers.TopicPeerFeed(), name="bench-peer-topic"),
    path("bench/naive/timeline", peers.naive_timeline, name="bench-naive-timeline"),
    path("", include("kztrack.urls")),
]
