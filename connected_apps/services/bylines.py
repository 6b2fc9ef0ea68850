"""Who made each app, as far as the portal can vouch: the service itself, or a developer staff
confirmed. These are the only bylines a person reads.

Anyone may register a client and call themselves any developer in its metadata, so neither an
app's "By …" line nor a developer's page ever comes from that claim. A first-party app is marked
by the operator with a client attribute (see FIRST_PARTY_KEYS); anyone registering a client
cannot set one, and it beats a confirmed developer: "Made by" the service says more than "By".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils import timezone

from connected_apps.models import ConfirmedDeveloper

# Client attribute keys that mark the service's own apps; the portal's own key first, then the
# plain one the sandbox's demo data uses. Values read as yes/no.
FIRST_PARTY_KEYS = ("portal.first_party", "first_party")
_YES = {"1", "true", "yes", "on"}


def is_first_party(attributes: Iterable[tuple[str, str]]) -> bool:
    """Whether the operator marked this client as the service's own; the first key set wins."""
    values = dict(attributes)
    for key in FIRST_PARTY_KEYS:
        if key in values:
            return values[key].strip().lower() in _YES
    return False


def shown_developer(
    client_id: int, *, first_party: bool, known: Mapping[int, str] | None = None
) -> str:
    """The developer a page may name: none for a first-party app, which says "Made by" instead.

    ``known``: the confirmations of a whole page, read at once (``confirmed_developers``).
    """
    if first_party:
        return ""
    return known.get(client_id, "") if known is not None else confirmed_developer(client_id)


def confirmed_developers(client_ids: Iterable[int]) -> dict[int, str]:
    """The developers staff confirmed for these clients, in one query for a page of cards."""
    found = ConfirmedDeveloper.objects.filter(client_id__in=set(client_ids))
    return dict(found.values_list("client_id", "developer"))


def confirmed_developer(client_id: int) -> str:
    """The developer staff confirmed for this client; empty when nobody has."""
    return (
        ConfirmedDeveloper.objects.filter(client_id=client_id)
        .values_list("developer", flat=True)
        .first()
        or ""
    )


def confirmed_client_ids(*, developer: str, start: int, end: int) -> tuple[list[int], int]:
    """One window of the clients confirmed as this developer's, and how many there are."""
    confirmed = ConfirmedDeveloper.objects.filter(developer=developer).order_by("client_id")
    ids = list(confirmed.values_list("client_id", flat=True)[start:end])
    return ids, confirmed.count()


def is_confirmed(*, developer: str, client_id: int) -> bool:
    return ConfirmedDeveloper.objects.filter(client_id=client_id, developer=developer).exists()


def developer_confirm(record: ConfirmedDeveloper, *, staff: object) -> None:
    """Save a confirmation as made now by this staff member, whoever set it before."""
    record.confirmed_by = staff
    record.confirmed_at = timezone.now()
    record.save()
