"""Use cases, called by the views with an identity already resolved.

apps (a person's apps: list, details), narrow, revoke, tokens (one token at a time),
registration (RFC 7591/7592), developer (a developer's own clients), bylines (developers staff
confirmed), logos (an app's logo, fetched by logo_fetch and served from our own origin),
behaviours (the operator's deep check); names cleans what an app calls itself, cards turns
records into what a person reads; audit is the one writer of the trail, settle closes unknown
outcomes, locks keeps changes to one app apart, limits counts attempts, rules holds every rule
in one place. Callers import the submodule
they need: ``from connected_apps.services import apps``.
"""
