"""Use cases by entity, called by the views with an identity already resolved.

apps (a person's connected apps), tokens (one token at a time), registration (RFC 7591/7592),
developer (a developer's own clients); audit is the one writer of the trail. Callers import the
submodule they need: ``from connected_apps.services import apps``.
"""
