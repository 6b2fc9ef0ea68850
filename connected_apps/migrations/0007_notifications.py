"""E-mail notifications: preferences, e-mails to send, the changes they told, reported grants."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('connected_apps', '0006_staff_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReceivedGrant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.CharField(max_length=100, unique=True, verbose_name='event id')),
                ('body_sha256', models.CharField(max_length=64, verbose_name='body digest')),
                ('subject', models.CharField(db_index=True, max_length=255, verbose_name='Authlete subject')),
                ('client_id', models.BigIntegerField(verbose_name='client id')),
                ('scopes', models.JSONField(blank=True, default=list, verbose_name='permissions')),
                ('issued_at', models.DateTimeField(verbose_name='issued at')),
                ('received_at', models.DateTimeField(auto_now_add=True, verbose_name='received at')),
            ],
            options={
                'verbose_name': 'reported new grant',
                'verbose_name_plural': 'reported new grants',
                'ordering': ['-received_at'],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('support_acted', 'Support changed access'), ('access_removed', 'Access removed'), ('app_connected', 'New app connected')], max_length=16, verbose_name='kind')),
                ('status', models.CharField(choices=[('pending', 'Waiting to be sent'), ('sent', 'Sent'), ('gave_up', 'Not sent: every attempt failed')], db_index=True, default='pending', max_length=8, verbose_name='status')),
                ('details', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts to send')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='person')),
            ],
            options={
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('access_removed', models.BooleanField(default=True, verbose_name='e-mail when an app is disconnected or loses permissions')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preference', to=settings.AUTH_USER_MODEL, verbose_name='person')),
            ],
            options={
                'verbose_name': 'notification preference',
                'verbose_name_plural': 'notification preferences',
            },
        ),
        migrations.CreateModel(
            name='NotifiedChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='connected_apps.auditevent', verbose_name='change')),
                ('notification', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='connected_apps.notification', verbose_name='e-mail')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='person')),
            ],
            options={
                'verbose_name': 'notified change',
                'verbose_name_plural': 'notified changes',
                'constraints': [models.UniqueConstraint(fields=('event', 'user'), name='one_notice_per_change_person')],
            },
        ),
    ]
