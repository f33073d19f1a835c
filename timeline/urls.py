from django.urls import path

app_name = "timeline"

urlpatterns: list = [
    # "" name="timeline"; "topics/<slug:slug>/" name="topic";
    # "developments/<uuid:id>/" name="development"  (built in issue 3)
]
