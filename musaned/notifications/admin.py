from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from musaned.accounts.actor import Actor
from musaned.integrations.admin import ReadOnlyAdmin

from . import services, texts
from .models import Message, Notification, NotificationPreference, NotificationTemplate


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event", "title", "read_at"]
    list_filter = ["event"]
    search_fields = ["recipient__email", "title"]
    list_select_related = ["recipient"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "to",
        "status",
        "attempts",
        "sent_at",
        "held_until",
        "last_error",
    ]
    list_filter = ["channel", "status", "urgent"]
    search_fields = ["to", "provider_id"]
    exclude = ["body"]  # may hold a one-time code: staff never need to read it


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "topic", "email", "sms", "updated_at"]
    list_filter = ["topic", "email", "sms"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


def _actor(request) -> Actor:
    return getattr(request, "actor", None) or Actor.direct(request.user)


class EditedFilter(admin.SimpleListFilter):
    title = _("edited")
    parameter_name = "edited"

    def lookups(self, request, model_admin):
        return [("yes", _("Edited by an admin")), ("no", _("As shipped"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(edited_at__isnull=self.value() == "no")
        return queryset


class TemplateForm(forms.ModelForm):
    event = forms.ChoiceField(label=_("event"))
    language = forms.ChoiceField(label=_("language code"))

    class Meta:
        model = NotificationTemplate
        fields = ["event", "language", "subject", "body", "sms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "event" in self.fields:  # adding: an existing text keeps its event and language
            self.fields["event"].choices = [(name, name) for name in texts.events()]
            self.fields["language"].choices = [(code, code) for code in services.text_languages()]

    def clean(self):
        data = super().clean()
        event = data.get("event") or self.instance.event
        if event:
            text = texts.Text(data.get("subject", ""), data.get("body", ""), data.get("sms", ""))
            for part, error in services.text_errors(event=event, text=text).items():
                self.add_error(part, error)
        return data


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    """Every event in every language; an edit is checked against the event's placeholders and previewed."""

    form = TemplateForm
    list_display = ["event", "language", "topic", "subject", "edited_by", "edited_at"]
    list_filter = ["language", EditedFilter]
    search_fields = ["event", "subject", "body", "sms"]
    list_select_related = ["edited_by"]
    readonly_fields = ["placeholders", "preview", "edited_by", "edited_at"]
    actions = ["restore_shipped"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["event", "language"] if obj is not None else []
        return fixed + self.readonly_fields

    def get_fields(self, request, obj=None):
        return [
            "event",
            "language",
            "subject",
            "body",
            "sms",
            "placeholders",
            "preview",
            "edited_by",
            "edited_at",
        ]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("topic"))
    def topic(self, obj):
        event = texts.events().get(obj.event)
        return event.topic if event else "-"

    @admin.display(description=_("placeholders you can use"))
    def placeholders(self, obj):
        if obj is None or obj.event not in texts.events():
            return "-"
        return ", ".join(f"{{{{ {name} }}}}" for name in sorted(texts.sample_context(obj.event)))

    @admin.display(description=_("preview with sample values"))
    def preview(self, obj):
        if obj is None or obj.pk is None or obj.event not in texts.events():
            return "-"
        context = texts.sample_context(obj.event)
        with translation.override(obj.language):
            parts = [
                (label, texts.render(source, context))
                for label, source in [
                    (_("subject"), obj.subject),
                    (_("text"), obj.body),
                    (_("text message"), obj.sms),
                ]
                if source
            ]
        direction = "rtl" if obj.language in settings.LANGUAGES_BIDI else "ltr"
        rows = format_html_join("", "<dt>{}</dt><dd style='white-space:pre-line'>{}</dd>", parts)
        return format_html("<dl dir='{}'>{}</dl>", direction, rows)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.notification_template_save(
            actor=_actor(request),
            event=obj.event,
            language=obj.language,
            subject=data.get("subject", ""),
            body=data.get("body", ""),
            sms=data.get("sms", ""),
        )
        obj.pk = saved.pk

    @admin.action(description=_("Restore the texts the platform ships"))
    def restore_shipped(self, request, queryset):
        restored = 0
        for template in queryset:
            try:
                services.notification_template_restore(actor=_actor(request), template=template)
                restored += 1
            except ValidationError as exc:
                self.message_user(request, f"{template}: {exc.messages[0]}", messages.ERROR)
        if restored:
            self.message_user(
                request,
                ngettext("%(count)d text restored.", "%(count)d texts restored.", restored)
                % {"count": restored},
                messages.SUCCESS,
            )
