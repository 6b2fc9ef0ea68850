"""Who may do what in the staff console: three support roles, each a permission given by a group.

Read-only support sees a person's apps and the audit trail; acting support also changes them,
always with a reason; incident response may also disconnect an app from everyone. The older
``manage_connected_apps`` permission has always let its holder act on anyone's apps, so it still
counts as acting support (it also gates the subject mapping and confirmed developers).
Superusers hold every permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VIEW = "connected_apps.view_people_apps"
ACT = "connected_apps.act_on_people_apps"
INCIDENT = "connected_apps.disconnect_app_everywhere"
MANAGE = "connected_apps.manage_connected_apps"

# The groups the data migration creates, by name, with the codenames each one holds.
GROUPS = {
    "Support — read only": ("view_people_apps", "view_auditevent"),
    "Support — acting": ("view_people_apps", "act_on_people_apps", "view_auditevent"),
    "Incident response": (
        "view_people_apps",
        "act_on_people_apps",
        "disconnect_app_everywhere",
        "view_auditevent",
    ),
}


@dataclass(frozen=True, slots=True)
class Role:
    """What one staff member may do in the console, read once per request."""

    can_view: bool
    can_act: bool
    can_disconnect_everywhere: bool


def role_of(user: Any) -> Role:
    act = user.has_perm(ACT) or user.has_perm(MANAGE)
    return Role(
        can_view=act or user.has_perm(VIEW),
        can_act=act,
        can_disconnect_everywhere=act and user.has_perm(INCIDENT),
    )
