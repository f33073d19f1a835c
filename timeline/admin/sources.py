"""The editors' desk in the admin: "Nouvelle source".

1. The editor pastes an article (or uploads a .txt / .md file) with its publication, title,
   author, URL and publication date.
2. The proposer (timeline.proposals, through timeline.selectors.proposals) reads it; the page
   shows the text with every proposal's quote highlighted in place, and one card per proposal.
3. The editor accepts (after editing), rejects, or adds the source to a development already
   recorded. Only then does anything reach the log, through the same commands as every other
   write, in one transaction: if one accepted card is refused, nothing is appended and the
   page comes back with the error on that card.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from timeline import commands, dates
from timeline.models import Development, Kind, Status, Topic
from timeline.selectors.proposals import desk_proposals

UPLOAD_MAX = 1_000_000  # bytes
TEXT_MAX = 200_000  # characters
SOURCE_FIELDS = ("publication", "title", "author", "url")


class SourceForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "kz-desk-text"}),
        help_text=_("Paste the article, or upload it below."),
    )
    upload = forms.FileField(label=_("or a .txt / .md file"), required=False)
    publication = forms.CharField(label=_("Publication"), max_length=200)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    author = forms.CharField(label=_("Author"), max_length=200, required=False)
    url = forms.URLField(label=_("URL"), required=False, assume_scheme="https")
    published = forms.DateField(
        label=_("Publication date"),
        help_text=_("YYYY-MM-DD: relative dates in the text are read from it."),
        widget=forms.DateInput(attrs={"placeholder": "2025-11-24"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("upload")
        if upload:
            if not upload.name.lower().endswith((".txt", ".md")):
                self.add_error("upload", gettext("Upload a .txt or .md file."))
            elif upload.size > UPLOAD_MAX:
                self.add_error("upload", gettext("The file is larger than 1 MB."))
            else:
                try:
                    cleaned["text"] = upload.read().decode("utf-8")
                except UnicodeDecodeError:
                    self.add_error("upload", gettext("The file is not UTF-8 text."))
        text = (cleaned.get("text") or "").replace("\r\n", "\n")
        cleaned["text"] = text
        if not text.strip() and not self.errors.get("upload"):
            self.add_error("text", gettext("Paste a text or upload a file."))
        elif len(text) > TEXT_MAX:
            self.add_error("text", gettext("The text is too long (at most 200,000 characters)."))
        return cleaned


def urls(model_admin: Any) -> list:
    """The desk's URL, added in front of the development admin's own."""
    info = model_admin.opts.app_label, model_admin.opts.model_name
    return [
        path(
            "new-source/",
            model_admin.admin_site.admin_view(
                lambda request: new_source_view(model_admin, request)
            ),
            name="{}_{}_new_source".format(*info),
        )
    ]


def new_source_view(model_admin: Any, request) -> Any:
    if not request.user.has_perm("timeline.add_development"):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("step") == "decide":
        return _decide(model_admin, request)
    form = SourceForm(request.POST or None, request.FILES or None)
    cards: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposals = desk_proposals(text=data["text"], published=data["published"])
        cards = [_card_from_proposal(i, p) for i, p in enumerate(proposals)]
        _add_duplicate_titles(cards)
        return _render(model_admin, request, form, data, cards)
    return _render(model_admin, request, form, None, cards)


# --- cards ----------------------------------------------------------------------------------


def _card_from_proposal(index: int, p: Any) -> dict[str, Any]:
    known = [{"actor": a["actor"], "role": a["role"]} for a in p.actors if a["actor"]]
    return {
        "index": index,
        "title": p.title,
        "summary": p.summary,
        "date": p.date,
        "date_note": p.date_note,
        "kind": p.kind,
        "status": p.status,
        "place": p.place,
        "topics": ", ".join(p.topics),
        "actors_json": json.dumps(known, ensure_ascii=False),
        "actor_names": [a["name"] for a in p.actors if a["actor"]],
        "new_actors": [a["name"] for a in p.actors if not a["actor"]],
        "quote": p.quote,
        "start": p.start,
        "end": p.end,
        "duplicate_ids": list(p.duplicates),
        "decision": "reject",
        "errors": [],
    }


def _card_from_post(post: Any, index: int) -> dict[str, Any]:
    def get(name: str) -> str:
        return post.get(f"p-{index}-{name}", "")

    actors_json = get("actors") or "[]"
    try:
        actors = json.loads(actors_json)
    except ValueError:
        actors = []
    return {
        "index": index,
        "title": get("title"),
        "summary": get("summary"),
        "date": get("date"),
        "date_note": get("date_note"),
        "kind": get("kind"),
        "status": get("status"),
        "place": get("place"),
        "topics": get("topics"),
        "actors_json": actors_json,
        "actors": actors if isinstance(actors, list) else [],
        "actor_names": [a for a in get("actor_names").split("|") if a],
        "new_actors": [a for a in get("new_actors").split("|") if a],
        "quote": get("quote"),
        "start": _int(get("start")),
        "end": _int(get("end")),
        "duplicate_ids": [d for d in get("duplicates").split(",") if d],
        "decision": get("decision") or "reject",
        "errors": [],
    }


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _add_duplicate_titles(cards: list[dict[str, Any]]) -> None:
    ids = {d for card in cards for d in card["duplicate_ids"]}
    found = {str(d.id): d for d in Development.objects.filter(id__in=ids)}
    for card in cards:
        card["duplicates"] = [
            {"id": d, "title": found[d].title, "date": dates.display(found[d].date)}
            for d in card["duplicate_ids"]
            if d in found
        ]


def _highlighted(text: str, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut into pieces, each quote a piece of its own (the template escapes them)."""
    pieces: list[dict[str, Any]] = []
    at = 0
    for card in sorted(cards, key=lambda c: c["start"]):
        start, end = card["start"], card["end"]
        if start < at or end <= start or end > len(text):
            continue
        if start > at:
            pieces.append({"text": text[at:start], "index": None})
        pieces.append({"text": text[start:end], "index": card["index"]})
        at = end
    pieces.append({"text": text[at:], "index": None})
    return pieces


def _render(model_admin, request, form, data, cards, *, errors: bool = False):
    opts = model_admin.opts
    text = data["text"] if data else ""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": gettext("New source"),
        "form": form,
        "source": data,
        "cards": cards,
        "pieces": _highlighted(text, cards) if cards else [],
        "kinds": Kind.choices,
        "statuses": [
            (Status.TOOK_PLACE, Status.TOOK_PLACE.label),
            (Status.SCHEDULED, Status.SCHEDULED.label),
        ],
        "has_errors": errors,
        "proposed": data is not None,
        "topic_slugs": ", ".join(Topic.objects.order_by("position").values_list("slug", flat=True)),
    }
    return TemplateResponse(request, "admin/timeline/development/new_source.html", context)


# --- decisions ------------------------------------------------------------------------------


def _decide(model_admin, request):
    post = request.POST
    form = SourceForm(post)
    if not form.is_valid():
        return _render(model_admin, request, form, None, [])
    data = form.cleaned_data
    count = min(_int(post.get("count", "0")), 500)
    cards = [_card_from_post(post, i) for i in range(count)]
    source_base = {name: data.get(name) or "" for name in SOURCE_FIELDS}
    source_base["date"] = data["published"].isoformat()
    by = request.user.get_username()
    recorded: list[Development] = []
    sources_added = 0
    try:
        with transaction.atomic():
            for card in cards:
                decision = card["decision"]
                if decision == "reject":
                    continue
                source = {**source_base, "quote": card["quote"]}
                try:
                    if decision == "accept":
                        recorded.append(_accept(card, source, by))
                    elif decision.startswith("add:"):
                        _add_source(decision[4:], source, by)
                        sources_added += 1
                except ValidationError as error:
                    card["errors"] = _messages(error)
            if any(card["errors"] for card in cards):
                raise _Refused
    except _Refused:
        _add_duplicate_titles(cards)
        return _render(model_admin, request, form, data, cards, errors=True)
    for development in recorded:
        model_admin.log_addition(request, development, [{"added": {}}])
    model_admin.message_user(
        request,
        gettext("%(recorded)d development(s) recorded, %(added)d source(s) added.")
        % {"recorded": len(recorded), "added": sources_added},
    )
    return HttpResponseRedirect(reverse("admin:timeline_development_changelist"))


class _Refused(Exception):
    """An accepted card was refused: roll back every write of this round."""


def _accept(card: dict[str, Any], source: dict[str, str], by: str) -> Development:
    fields = {
        "title": card["title"],
        "summary": card["summary"],
        "kind": card["kind"],
        "date": card["date"],
        "date_note": card["date_note"],
        "status": card["status"],
        "place": card["place"],
        "stage": "",
        "topics": [t.strip() for t in card["topics"].split(",") if t.strip()],
        "actors": card["actors"],
        "sources": [source],
    }
    return commands.development_record(fields=fields, by=by, via="admin")


def _add_source(development_id: str, source: dict[str, str], by: str) -> Development:
    try:
        development = Development.objects.get(pk=development_id)
    except (Development.DoesNotExist, ValidationError, ValueError):
        raise ValidationError({"__all__": gettext("That development no longer exists.")}) from None
    return commands.development_add_source(
        id=development.id,
        expected_version=development.version,
        source=source,
        by=by,
        via="admin",
    )


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{field}: {message}" if field != "__all__" else str(message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)
