from django.contrib import admin

from musaned.integrations.admin import ReadOnlyAdmin

from .models import Message, Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event", "title", "read_at"]
    list_filter = ["event"]
    search_fields = ["recipient__email", "title"]
    list_select_related = ["recipient"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "to", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["channel", "status"]
    search_fields = ["to", "provider_id"]
    exclude = ["body"]  # may hold a one-time code: staff never need to read it
