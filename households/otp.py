"""One-time codes proving the household holds its mobile: random, short-lived, stored only as a keyed hash."""

import datetime as dt
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_WRONG_TRIES = 5
MAX_SENDS = 3
SEND_WINDOW = dt.timedelta(minutes=15)

_HASH_SALT = "households.phone-code"


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(*, code: str, mobile: str) -> str:
    """Keyed with the site secret and bound to the number, so a leaked table reveals no code."""
    return salted_hmac(_HASH_SALT, f"{mobile}:{code}", algorithm="sha256").hexdigest()


def code_matches(*, code: str, mobile: str, stored_hash: str) -> bool:
    return constant_time_compare(code_hash(code=code.strip(), mobile=mobile), stored_hash)
