"""Background work, run by the task worker (`manage.py db_worker`): settling open attempts.

Every change queues one of these when it starts, due once the change can no longer be running.
A change that finished normally is settled by then and the task does nothing; one whose worker
was killed, or whose answer never came, is settled here by reading Authlete — even if the
person never comes back to the page.
"""

from __future__ import annotations

from django.tasks import task

from connected_apps.models import AuditEvent
from connected_apps.services.settle import settle_unknown


@task
def settle_open_attempt(*, attempt_id: int) -> str:
    """Settle the person's unknown outcomes if this attempt is still one of them."""
    event = AuditEvent.objects.filter(pk=attempt_id).first()
    if event is None or AuditEvent.objects.filter(settles=event).exists():
        return "settled already"
    settle_unknown(subject=event.subject)
    return "settled" if AuditEvent.objects.filter(settles=event).exists() else "still unknown"


@task
def run_sweep(*, sweep_id: int) -> str:
    """Work on a disconnection from everyone for one slice; it queues its own next run."""
    # Imported here: the sweep's runner queues this task, so it imports this module.
    from connected_apps.services.sweep_run import sweep_run

    return sweep_run(sweep_id=sweep_id)
