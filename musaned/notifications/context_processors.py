from functools import cache

from .selectors import unread_count


def unread_notifications(request):
    """`unread_notifications`: how many inbox notifications the signed-in person has not read.

    Counted only if a template asks, and at most once per page.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": cache(lambda: unread_count(user=user))}
