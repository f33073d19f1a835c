"""The subscribe and preferences forms; the services in subscriptions.py validate again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feeds.models import Language
from timeline import selectors


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the digest"), choices=Language.choices, widget=forms.RadioSelect
    )
    scope = forms.ChoiceField(
        label=_("Topics"),
        choices=[("all", _("All topics")), ("some", _("Only the topics I choose"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label=_("My topics"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, lang: str = "fr", **kwargs):
        super().__init__(*args, **kwargs)
        topics = self.fields["topics"]
        assert isinstance(topics, forms.MultipleChoiceField)
        topics.choices = [(topic.slug, topic.name(lang)) for topic in selectors.feed_topics()]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "some" and not data.get("topics"):
            self.add_error("topics", _("Choose at least one topic, or all topics."))
        return data

    def chosen_topics(self) -> list[str] | None:
        """The topics chosen, or None for all."""
        if self.cleaned_data["scope"] == "all":
            return None
        return list(self.cleaned_data["topics"])


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    field_order = ["email", "language", "scope", "topics"]
