"""Telling people about changes to their account: e-mails about confirmed changes and new grants.

``changes`` turns confirmed audit rows into e-mails to send (coalesced per person), ``webhook``
receives the authorization server's word that a new app was let in, ``mail`` writes each e-mail
in the person's language, ``delivery`` sends it with bounded retries, ``tasks`` runs both in the
task worker, and ``preferences`` is the page where a person turns the optional e-mails off.
"""
