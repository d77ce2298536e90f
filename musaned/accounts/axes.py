"""How django-axes finds the account a sign-in attempt is for.

allauth authenticates with an `email` credential and its form field is `login`; axes reads
AXES_USERNAME_FORM_FIELD only, so without this every attempt would be counted under no name.
"""


def username_from_attempt(request, credentials: dict | None = None) -> str | None:
    """The e-mail address tried, lower-cased, whichever way allauth or axes passed it."""
    for source in (credentials or {}, getattr(request, "POST", {})):
        for key in ("email", "login", "username"):
            value = source.get(key)
            if value:
                return str(value).strip().lower()
    return None
