"""Finding a person for support: by Authlete subject, username or e-mail, and back from a subject.

A subject is Authlete's name for a person; an account is the portal's. Every match is checked
with ``subject_for_user``, the one rule that decides whose grants an account sees, so support
never opens a subject an account merely resembles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.subjects import subject_for_user

_MOST_RESULTS = 20


@dataclass(frozen=True, slots=True)
class Match:
    """One account that matched a search, with the subject it maps to (None: no apps)."""

    account: Any
    subject: str | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]
    # The one account (or subject) the query names exactly, which support opens at once.
    exact_subject: str | None


def person_search(query: str) -> SearchResult:
    """Accounts whose username, e-mail or subject contains ``query``, closest first."""
    query = query.strip()[:255]
    if not query:
        return SearchResult(query="", matches=(), exact_subject=None)
    users = get_user_model().objects
    by_email = EmailAddress.objects.filter(email__icontains=query).values("user")
    by_sso = SocialAccount.objects.filter(
        provider=settings.OIDC_PROVIDER_ID, uid__icontains=query
    ).values("user")
    found = users.filter(
        Q(username__icontains=query)
        | Q(email__icontains=query)
        | Q(authlete_subject__icontains=query)
        | Q(pk__in=by_email)
        | Q(pk__in=by_sso)
    ).order_by("username")[:_MOST_RESULTS]
    matches = tuple(Match(account, subject_for_user(account)) for account in found)
    exact = [m for m in matches if m.subject and _names_exactly(query, m)]
    subjects = {m.subject for m in exact}
    return SearchResult(
        query=query,
        matches=matches,
        exact_subject=subjects.pop() if len(subjects) == 1 else None,
    )


def _names_exactly(query: str, match: Match) -> bool:
    account = match.account
    folded = query.casefold()
    return (
        match.subject == query
        or account.get_username().casefold() == folded
        or (account.email or "").casefold() == folded
    )


def accounts_for_subject(subject: str) -> list[Any]:
    """The portal accounts that see this subject's grants; usually one, none for someone who
    never signed in to the portal."""
    users = get_user_model().objects
    sso = SocialAccount.objects.filter(provider=settings.OIDC_PROVIDER_ID, uid=subject)
    attribute = settings.PORTAL_SUBJECT_ATTRIBUTE
    candidates = Q(authlete_subject=subject) | Q(pk__in=sso.values("user"))
    if attribute == "username":
        candidates |= Q(username=subject)
    elif attribute == "email":
        candidates |= Q(pk__in=EmailAddress.objects.filter(email__iexact=subject).values("user"))
    return [user for user in users.filter(candidates) if subject_for_user(user) == subject]
