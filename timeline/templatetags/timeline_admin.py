"""Template helpers for the editors' admin: the queue of developments awaiting confirmation."""

from django import template

from timeline import selectors

register = template.Library()


@register.simple_tag
def awaiting_confirmation_count() -> int:
    """How many scheduled developments have a date that has passed without an editor
    confirming, cancelling or rescheduling them."""
    return selectors.awaiting_confirmation().count()
