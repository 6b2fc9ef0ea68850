"""Use cases, called by the views with an identity already resolved.

apps (a person's apps: list, details), narrow, revoke, tokens (one token at a time),
registration (RFC 7591/7592), developer (a developer's own clients), behaviours (the operator's
deep check); audit is the one writer of the trail, settle closes unknown outcomes, locks keeps
changes to one app apart, rules holds every rule in one place. Callers import the submodule
they need: ``from connected_apps.services import apps``.
"""
