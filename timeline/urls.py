from django.urls import path

from timeline import views

app_name = "timeline"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("developments/<uuid:id>/", views.development, name="development"),
]
