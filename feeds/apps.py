from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = _("Feeds and digests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the anymail tracking receiver that suppresses bounced addresses.
        from feeds import suppressions  # noqa: F401
