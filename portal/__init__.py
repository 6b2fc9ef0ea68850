"""The Django project package of the connected-apps portal."""
