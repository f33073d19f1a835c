"""API tokens: made in the admin, sent as `Authorization: Bearer <token>`.

A token reads `kzt_<prefix>_<secret>`. The prefix finds the row; only the SHA-256 of the
whole token is stored, and it is compared in constant time.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from timeline.models import ApiToken

SCHEME = "kzt"
# Writing last_used_at on every request would turn each read of a busy client into a write.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_prepare(token: ApiToken) -> str:
    """Give an unsaved token its prefix and hash; return the plain secret, shown once."""
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token.prefix, token.secret_hash = prefix, _hash(raw)
    return raw


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain secret is returned once and never stored."""
    token = ApiToken(user=user, name=name)
    raw = token_prepare(token)
    token.save()
    return token, raw


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke the token; False if it already was."""
    return bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token for this secret, whose user is active; None otherwise."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME or not parts[1].isalnum() or len(parts[1]) > 16:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(raw.strip())):
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


class BearerToken(HttpBearer):
    """ninja's bearer scheme over our tokens; request.auth is the ApiToken."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = token_authenticate(token)
        if found is None:
            raise AuthenticationError(
                message="This token is unknown or was revoked. Ask an editor for a new one."
            )
        return found
