"""allauth adapters: who may create an account on the portal, and what signing in records."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest

from accounts.subjects import pin_subject_to_provider


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A subject can default to the username (see accounts/subjects.py). With open local
        # sign-up, a stranger could register the username of an existing Authlete subject and
        # see, and revoke, that person's grants. So local accounts are made by invitation
        # (an administrator) unless a deployment whose subjects never come from usernames
        # opts in.
        return settings.PORTAL_ALLOW_SIGNUP


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Signing up through our own authorization server is safe whatever the local setting:
        # the subject then comes from the `sub` that server vouches for, not from a name the
        # newcomer picked. Any other provider follows the local rule.
        if sociallogin.account.provider == settings.OIDC_PROVIDER_ID:
            return True
        return super().is_open_for_signup(request, sociallogin)

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        # Whoever the server vouches for here, a returning person or a sign-up about to be
        # saved, keeps its `sub` as their only automatic subject: the username allauth generates
        # or lets them pick on the sign-up form then never names a subject, even if they later
        # unlink the account. (A new link made from a signed-in local account leaves that
        # account alone: its username was given by an administrator.)
        if sociallogin.account.provider == settings.OIDC_PROVIDER_ID:
            pin_subject_to_provider(sociallogin.user)
