"""The editors' admin forms: they collect what an editor typed and hand it to a command.

The commands decide what is valid (one validation path for the admin, the API and the seed
loader). Their errors come back here: `add_command_error` puts each message on the field
it names, on the actor or source rows, or above the form.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin import site
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from timeline import commands, dates, projections
from timeline.models import Actor, Development, DevelopmentActor, Kind, Stage, Status, Topic

DATE_HELP = _(
    "EDTF, only as precise as the source: 2025-03-27 (a day), 2022-10 (a month), 2015 (a "
    "year), 2023-05-16/2023-05-20 (it lasted from the 16th to the 20th), "
    "[2023-05-16..2023-05-20] (one day between the 16th and the 20th), [..2025-11-24] "
    "(before), [2025-11..] (after), 2022-23 (autumn 2022; 21 spring, 22 summer, "
    "24 winter), 2025-12~ (about December 2025), 2025-12? (uncertain)."
)

TEXT = {"class": "vTextField"}
LARGE_TEXT = {"class": "vLargeTextField", "rows": 4}

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _text(
    label: StrOrPromise, *, required: bool = False, help_text: StrOrPromise = ""
) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.TextInput(attrs=TEXT)
    )


def _textarea(
    label: StrOrPromise, *, required: bool = False, help_text: StrOrPromise = ""
) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs=LARGE_TEXT)
    )


def add_command_error(
    form: forms.Form, error: ValidationError, rows: dict[str, forms.BaseFormSet] | None = None
) -> None:
    """Show a command's ValidationError on the form: on the fields it names, on the formset
    of that name (`actors`, `sources`), or above the form for anything else."""
    rows = rows or {}
    messages = (
        error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    )
    for field, texts in messages.items():
        if field in rows:
            rows[field].non_form_errors().extend(texts)
        elif field in form.fields and field != NON_FIELD_ERRORS:
            form.add_error(field, texts)
        else:
            form.add_error(None, texts)


def _new_key() -> str:
    return f"admin-{uuid.uuid4()}"


def _idempotency_key() -> forms.CharField:
    """A key drawn when the page is shown: a double-click or a resent POST is a no-op."""
    return forms.CharField(
        widget=forms.HiddenInput, initial=_new_key, required=False, max_length=100
    )


# --- actor and source rows -----------------------------------------------------------------


class ActorRoleForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("actor"),
        queryset=Actor.objects.all(),
        required=False,
        widget=AutocompleteSelect(DevelopmentActor._meta.get_field("actor"), site),
    )
    role = _text(_("role"), help_text=_("e.g. Deputy Foreign Minister"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") and not data.get("actor"):
            self.add_error("actor", _("Choose the actor who had this role."))
        return data


def _cell(label: StrOrPromise, size: int, **kwargs: Any) -> forms.CharField:
    """A narrow text input: six of them share one table row."""
    return forms.CharField(
        label=label, required=False, widget=forms.TextInput(attrs={"size": size}), **kwargs
    )


class SourceForm(forms.Form):
    publication = _cell(_("publication"), 14)
    title = _cell(_("title"), 18)
    author = _cell(_("author"), 12)
    date = _cell(_("date (EDTF)"), 10)
    url = forms.CharField(label=_("URL"), required=False, widget=forms.URLInput(attrs={"size": 18}))
    quote = forms.CharField(
        label=_("quoted passage"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 28}),
    )


ActorRoleFormSet = forms.formset_factory(
    ActorRoleForm, extra=1, can_delete=True, can_delete_extra=False
)
SourceFormSet = forms.formset_factory(SourceForm, extra=1, can_delete=True, can_delete_extra=False)

SOURCE_KEYS = ("publication", "title", "author", "date", "url", "quote")


def _kept(form: forms.Form) -> dict[str, Any] | None:
    """A row's values, or None for a blank or deleted row."""
    data = getattr(form, "cleaned_data", None)
    if not data or data.get("DELETE"):
        return None
    return data


# --- the development ---------------------------------------------------------------------


class DevelopmentForm(forms.Form):
    """A development's fields, with its actors and sources as two formsets of rows."""

    title = _text(_("title"), required=True)
    kind = forms.ChoiceField(label=_("kind"), choices=[("", "---------"), *Kind.choices])
    date = forms.CharField(
        label=_("date (EDTF)"), help_text=DATE_HELP, widget=forms.TextInput(attrs={"size": 24})
    )
    date_note = _text(
        _("note on the date"), help_text=_("Say how the date was derived when the source is vague.")
    )
    place = _text(_("place"))
    stage = forms.ChoiceField(
        label=_("stage"),
        required=False,
        choices=[("", "---------"), *Stage.choices],
        help_text=_("For a step of an agreement or a negotiation."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("topics"),
        queryset=Topic.objects.all(),
        widget=AutocompleteSelectMultiple(Development._meta.get_field("topics"), site),
    )
    summary = _textarea(_("summary"))
    idempotency_key = _idempotency_key()

    main_fields = ["title", "kind", "date", "date_note", "place", "stage", "topics", "summary"]

    def __init__(self, data=None, *, initial=None, actors=None, sources=None):
        super().__init__(data, initial=initial)
        self.actor_rows = ActorRoleFormSet(data, initial=actors, prefix="actors")
        self.source_rows = SourceFormSet(data, initial=sources, prefix="sources")

    @property
    def formsets(self) -> dict[str, forms.BaseFormSet]:
        return {"actors": self.actor_rows, "sources": self.source_rows}

    @property
    def media(self) -> forms.Media:
        media = super().media
        for formset in self.formsets.values():
            media += formset.media
        return media

    def is_valid(self) -> bool:
        results = [super().is_valid(), *(f.is_valid() for f in self.formsets.values())]
        return all(results)

    def add_command_error(self, error: ValidationError) -> None:
        add_command_error(self, error, self.formsets)

    def clean_date(self) -> str:
        """Read the date with the form's other fields, so every error shows in one round
        trip (the command checks it again: it stays the one authority)."""
        value = self.cleaned_data["date"]
        try:
            dates.parse(value)
        except dates.InvalidDate as error:
            raise ValidationError(str(error)) from None
        return value

    def development_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape the commands take."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.main_fields if name != "topics"}
        fields["topics"] = [topic.slug for topic in data["topics"]]
        fields["actors"] = [
            {"actor": row["actor"].slug, "role": row["role"]}
            for row in filter(None, map(_kept, self.actor_rows.forms))
            if row.get("actor")
        ]
        fields["sources"] = [
            {key: row.get(key, "") for key in SOURCE_KEYS}
            for row in filter(None, map(_kept, self.source_rows.forms))
            if any(row.get(key) for key in SOURCE_KEYS)
        ]
        return fields


class DevelopmentRecordForm(DevelopmentForm):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[
            (Status.TOOK_PLACE.value, Status.TOOK_PLACE.label),
            (Status.SCHEDULED.value, Status.SCHEDULED.label),
        ],
        initial=Status.TOOK_PLACE,
        help_text=_("Scheduled: announced for a date to come."),
    )

    main_fields = [*DevelopmentForm.main_fields[:3], "status", *DevelopmentForm.main_fields[3:]]

    def save(self, *, by: str) -> Development:
        return commands.development_record(
            fields=self.development_fields(),
            by=by,
            via="admin",
            idempotency_key=self.cleaned_data["idempotency_key"] or None,
        )


class DevelopmentCorrectForm(DevelopmentForm):
    """The change page: the current fields prefilled; saving sends what changed."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    note = _textarea(
        _("public correction note"),
        help_text=_("Shown to readers with the development: what was wrong and what changed."),
    )
    silent = forms.BooleanField(
        label=_("silent fix (typo, no public note)"),
        required=False,
    )

    def __init__(self, data=None, *, development: Development):
        self.development = development
        self.state = projections.load_states([development.id])[development.id]
        state = self.state
        topic_ids = dict(Topic.objects.filter(slug__in=state["topics"]).values_list("slug", "id"))
        actor_ids = dict(
            Actor.objects.filter(slug__in=[a["actor"] for a in state["actors"]]).values_list(
                "slug", "id"
            )
        )
        initial = {name: state[name] for name in self.main_fields if name != "topics"}
        initial["topics"] = [topic_ids[s] for s in state["topics"] if s in topic_ids]
        initial["expected_version"] = development.version
        super().__init__(
            data,
            initial=initial,
            actors=[
                {"actor": actor_ids.get(a["actor"]), "role": a["role"]} for a in state["actors"]
            ],
            sources=[{key: s.get(key, "") for key in SOURCE_KEYS} for s in state["sources"]],
        )

    def changes(self) -> dict[str, Any]:
        """Only the fields whose value differs from the development's current state."""
        fields = self.development_fields()
        return {
            name: value
            for name, value in fields.items()
            if _comparable(name, value) != _comparable(name, self.state.get(name))
        }

    def save(self, *, by: str) -> Development:
        return commands.development_correct(
            id=self.development.id,
            expected_version=self.cleaned_data["expected_version"],
            changes=self.changes(),
            note=self.cleaned_data["note"],
            silent=self.cleaned_data["silent"],
            by=by,
            via="admin",
            idempotency_key=self.cleaned_data["idempotency_key"] or None,
        )


def _comparable(name: str, value: Any) -> Any:
    """A value as the commands will store it, so an untouched field is not sent as changed."""
    if name == "topics":
        return sorted(value or [])
    if name == "sources":
        return [{key: s.get(key, "") for key in SOURCE_KEYS} for s in value or []]
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


# --- status actions -----------------------------------------------------------------------


class DevelopmentActionForm(forms.Form):
    """One of reschedule, confirm, cancel or retract, on the version the editor saw."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    idempotency_key = _idempotency_key()

    def __init__(self, data=None, *, development: Development):
        super().__init__(data, initial={"expected_version": development.version})
        self.development = development

    def add_command_error(self, error: ValidationError) -> None:
        add_command_error(self, error)

    def command(self, **kwargs: Any) -> Development:
        raise NotImplementedError

    def arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        del data["expected_version"], data["idempotency_key"]
        return data

    def save(self, *, by: str) -> Development:
        return self.command(
            id=self.development.id,
            expected_version=self.cleaned_data["expected_version"],
            by=by,
            via="admin",
            idempotency_key=self.cleaned_data["idempotency_key"] or None,
            **self.arguments(),
        )


class RescheduleForm(DevelopmentActionForm):
    date = forms.CharField(label=_("new date (EDTF)"), help_text=DATE_HELP)
    note = _textarea(_("note"), help_text=_("Why it moved, as readers will see it."))

    def command(self, **kwargs: Any) -> Development:
        return commands.development_reschedule(**kwargs)


class ConfirmForm(DevelopmentActionForm):
    date = forms.CharField(
        label=_("date it took place (EDTF)"),
        required=False,
        help_text=_("Leave empty to keep the scheduled date; give it if it is more precise."),
    )
    note = _textarea(_("note"))

    def command(self, **kwargs: Any) -> Development:
        return commands.development_confirm(**kwargs)


class CancelForm(DevelopmentActionForm):
    reason = _textarea(
        _("reason"), required=True, help_text=_("Public: why it will not take place.")
    )

    def command(self, **kwargs: Any) -> Development:
        return commands.development_cancel(**kwargs)


class RetractForm(DevelopmentActionForm):
    reason = _textarea(
        _("reason"),
        required=True,
        help_text=_(
            "Public: why this should not have been published. The page stays, marked retracted."
        ),
    )

    def command(self, **kwargs: Any) -> Development:
        return commands.development_retract(**kwargs)
