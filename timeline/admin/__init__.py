"""The editors' admin. Django's autodiscover imports this package; importing each module
registers its admins: developments (record, correct and the status actions, with each
development's history), log (the event log, read-only), reference (topics, stages and
actors) and timeline.admin_tokens (API tokens)."""

from timeline import admin_tokens
from timeline.admin import developments, log, reference

__all__ = ["admin_tokens", "developments", "log", "reference"]
