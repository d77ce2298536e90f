def navigation(request):
    """The acting context every page header shows (whose account, under which delegation)."""
    return {"actor": getattr(request, "actor", None)}
