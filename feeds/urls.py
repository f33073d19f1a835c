from django.urls import include, path

from feeds import views

app_name = "feeds"

urlpatterns = [
    path("digests/", views.digest_list, name="digests"),
    path("digests/<int:number>/", views.digest_detail, name="digest"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscribe/preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("feeds/timeline.rss", views.timeline_feed, {"fmt": "rss"}, name="timeline-rss"),
    path("feeds/timeline.atom", views.timeline_feed, {"fmt": "atom"}, name="timeline-atom"),
    path("feeds/topics/<slug:slug>.rss", views.topic_feed, {"fmt": "rss"}, name="topic-rss"),
    path("feeds/topics/<slug:slug>.atom", views.topic_feed, {"fmt": "atom"}, name="topic-atom"),
    path("feeds/digests.rss", views.digests_feed, {"fmt": "rss"}, name="digests-rss"),
    path("feeds/digests.atom", views.digests_feed, {"fmt": "atom"}, name="digests-atom"),
    # ESPs report bounces and complaints here (feeds/suppressions.py), authenticated with
    # ANYMAIL["WEBHOOK_SECRET"] as anymail documents.
    path("anymail/", include("anymail.urls")),
    path("feeds/upcoming.ics", views.upcoming_ics, name="upcoming-ics"),
]
