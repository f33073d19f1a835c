"""Reference data in the admin: topics with their stages, actors, and the aliases search
treats as one word."""

from django.contrib import admin

from timeline import projections
from timeline.models import Actor, SearchAlias, Topic, TopicStage


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
    search_fields = ("slug", "name_fr", "name_en", "aliases")
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [TopicStageInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name_fr", "name_en", "aliases"} & set(form.changed_data):
            projections.refresh_search_text(topic_id=obj.pk)


@admin.register(Actor)
class ActorAdmin(SlugFixedAfterCreation, admin.ModelAdmin):
    list_display = ("name", "slug", "kind")
    list_filter = ("kind",)
    search_fields = ("slug", "name", "description_fr", "aliases")
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name", "aliases"} & set(form.changed_data):
            projections.refresh_search_text(actor_id=obj.pk)


@admin.register(SearchAlias)
class SearchAliasAdmin(admin.ModelAdmin):
    list_display = ("__str__",)
    search_fields = ("terms",)
