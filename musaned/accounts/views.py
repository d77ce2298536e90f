from django.shortcuts import redirect, render


def home(request):
    """Send each person to their own area; visitors see what the platform is."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html")
    if user.is_household:
        return redirect("households:dashboard")
    if user.is_office_staff:
        return redirect("recruitment:office_home")
    if user.is_ministry:
        return redirect("ministry:home")
    if user.is_superuser:
        return redirect("admin:index")
    return render(request, "home.html")
