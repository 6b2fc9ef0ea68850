"""Support roles of the staff console."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("connected_apps", "0005_confirmed_developer")]

    operations = []
