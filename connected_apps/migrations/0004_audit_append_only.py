"""The audit trail records refused attempts too, and is append-only in PostgreSQL itself."""

from django.db import migrations, models

# Rows may never be changed or removed, whatever code path runs the SQL. The one change let
# through is an account's deletion: the actor link goes to NULL while the row, including the
# actor's username kept as text, stays as it was. TRUNCATE is not refused: only the table's
# owner may truncate, and that role could drop this trigger anyway; test runs empty tables
# with TRUNCATE between tests.
_INSTALL = """
CREATE OR REPLACE FUNCTION connected_apps_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS connected_apps_auditevent_append_only ON connected_apps_auditevent;
CREATE TRIGGER connected_apps_auditevent_append_only
    BEFORE UPDATE OR DELETE ON connected_apps_auditevent
    FOR EACH ROW EXECUTE FUNCTION connected_apps_auditevent_append_only();
"""

_REMOVE = """
DROP TRIGGER IF EXISTS connected_apps_auditevent_append_only ON connected_apps_auditevent;
DROP FUNCTION IF EXISTS connected_apps_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("connected_apps", "0003_audit_written_ahead"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="refusal",
            field=models.CharField(
                blank=True,
                choices=[
                    ("too_many", "Too many attempts in a minute"),
                    ("not_yours", "Not connected to the account"),
                    ("invalid", "Not a valid change"),
                    ("no_reason", "No reason given"),
                    ("credentials", "Credentials not accepted"),
                ],
                max_length=16,
                verbose_name="why refused",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("narrow", "Removed permissions"),
                    ("revoke", "Disconnected app"),
                    ("token_narrow", "Removed permissions from one token"),
                    ("token_expiry", "Changed when one token expires"),
                    ("token_properties", "Changed the properties of one token"),
                    ("token_delete", "Ended one token"),
                    ("client_update", "Changed a client's registration"),
                    ("client_delete", "Deleted a client's registration"),
                    ("mapping_change", "Changed whose apps an account sees"),
                    ("probe", "Asked for an app or token not connected to the account"),
                    ("unrecorded", "More refused attempts, not recorded one by one"),
                ],
                max_length=16,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(_on_postgresql(_INSTALL), _on_postgresql(_REMOVE)),
    ]
