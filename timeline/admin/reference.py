"""Reference data in the admin: topics with their stages, and actors."""

from django.contrib import admin

from timeline.models import Actor, Topic, TopicStage


class TopicStageInline(admin.TabularInline):
    model = TopicStage
    extra = 0


class SlugFixedAfterCreation:
    """The log names topics and actors by slug: renaming one would orphan its history."""

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "slug") if obj is not None else fields

    def get_prepopulated_fields(self, request, obj=None):
        return super().get_prepopulated_fields(request, obj) if obj is None else {}


@admin.register(Topic)
class TopicAdmin(SlugFixedAfterCreation, admin.ModelAdmin):
    list_display = ("name_fr", "name_en", "slug", "position")
    list_editable = ("position",)
    search_fields = ("slug", "name_fr", "name_en")
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [TopicStageInline]


@admin.register(Actor)
class ActorAdmin(SlugFixedAfterCreation, admin.ModelAdmin):
    list_display = ("name", "slug", "kind")
    list_filter = ("kind",)
    search_fields = ("slug", "name", "description_fr")
    prepopulated_fields = {"slug": ("name",)}
