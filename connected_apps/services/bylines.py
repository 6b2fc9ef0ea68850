"""Which developer staff confirmed for each client: the only developer names the portal trusts.

Anyone may register a client and call themselves any developer in its metadata, so neither an
app's "By …" line nor a developer's page ever comes from that claim.
"""

from __future__ import annotations

from django.utils import timezone

from connected_apps.models import ConfirmedDeveloper


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
