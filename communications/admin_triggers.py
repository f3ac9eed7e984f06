"""Trigger settings for staff: Spanish names, segments ticked from the Spanish list, only the settings a trigger reads.

A bad value here used to crash or silently empty a sweep (an hour of 24, segments
typed as JSON). The form validates; ``Trigger.config`` still ignores an invalid row
written some other way.
"""

import copy

from django import forms
from django.contrib import admin
from django.db.models import Case, Value, When
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ventas.segments import SEGMENT_LABELS, SEGMENTS

from .models import TriggerSetting
from .triggers import TRIGGERS
from .triggers.base import TUNABLE


class TriggerSettingForm(forms.ModelForm):
    segments = forms.MultipleChoiceField(
        label=_("Segmentos"),
        choices=[(s, SEGMENT_LABELS[s]) for s in SEGMENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Ninguno marcado: el público por defecto de este disparador."),
    )
    send_hour = forms.TypedChoiceField(
        label=_("Hora local de envío"),
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
        help_text=_("Hora de Santiago (0 a 23)."),
    )

    class Meta:
        model = TriggerSetting
        fields = [
            "enabled",
            "delay_hours",
            "window_days",
            "send_hour",
            "segments",
            "channel",
            "template_variant",
            "early_high_risk",
        ]

    def clean_segments(self):
        # Stored in the list's order, so the row reads the same however the boxes were ticked.
        chosen = set(self.cleaned_data.get("segments") or [])
        return [s for s in SEGMENTS if s in chosen]


def _tunes(obj) -> tuple[str, ...]:
    trigger = TRIGGERS.get(obj.name) if obj is not None else None
    return trigger.tunes if trigger else TUNABLE


@admin.register(TriggerSetting)
class TriggerSettingAdmin(admin.ModelAdmin):
    """Staff switch each automatic trigger on or off and tune its numbers; rows come from a migration."""

    form = TriggerSettingForm
    list_display = ["descripcion", "enabled", "ajustes"]
    list_display_links = ["descripcion"]
    list_editable = ["enabled"]
    readonly_fields = ["significado"]

    def get_queryset(self, request):
        # In the order staff read the names (Spanish labels), not by internal code.
        labels = sorted(TRIGGERS, key=lambda name: str(TRIGGERS[name].label).lower())
        position = Case(*(When(name=name, then=Value(i)) for i, name in enumerate(labels)), default=Value(len(labels)))
        rows = self.model._default_manager.get_queryset().annotate(label_order=position)
        return rows.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["label_order", "name"]

    def has_add_permission(self, request):
        return False  # a trigger exists in code; its row only tunes it

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ["significado", "enabled", *[f for f in TUNABLE if f in _tunes(obj)]]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Settings the trigger does not read are neither shown nor overwritten.
        tunes = _tunes(obj)
        kwargs["fields"] = ["enabled", *[f for f in TUNABLE if f in tunes]]
        form = super().get_form(request, obj, change, **kwargs)
        for name in TriggerSettingForm.declared_fields:
            if name not in tunes:
                form.base_fields.pop(name, None)
        trigger = TRIGGERS.get(obj.name) if obj is not None else None
        if "segments" in form.base_fields and trigger is not None:
            default = ", ".join(str(SEGMENT_LABELS[s]) for s in trigger.defaults.segments) or _("todos")
            form.base_fields["segments"] = copy.deepcopy(form.base_fields["segments"])
            form.base_fields["segments"].help_text = _("Ninguno marcado: el público por defecto (%(default)s).") % {
                "default": default
            }
        return form

    @admin.display(description=_("disparador"), ordering="label_order")
    def descripcion(self, obj):
        trigger = TRIGGERS.get(obj.name)
        return trigger.label if trigger else obj.name

    @admin.display(description=_("qué significan los números"))
    def significado(self, obj):
        trigger = TRIGGERS.get(obj.name)
        return trigger.help if trigger else ""

    @admin.display(description=_("ajustes"))
    def ajustes(self, obj):
        tunes = _tunes(obj)
        trigger = TRIGGERS.get(obj.name)
        lines = []
        if "delay_hours" in tunes:
            lines.append((_("Desfase"), _("%(n)s h") % {"n": obj.delay_hours}))
        if "window_days" in tunes:
            lines.append((_("Ventana"), _("%(n)s días") % {"n": obj.window_days}))
        if "send_hour" in tunes:
            lines.append((_("Hora de envío"), f"{obj.send_hour:02d}:00"))
        if "segments" in tunes:
            chosen = obj.segment_labels() if obj.segments else []
            codes = list(obj.segments or (trigger.defaults.segments if trigger is not None else []))
            if not chosen and trigger is not None:
                chosen = [str(SEGMENT_LABELS.get(s, s)) for s in trigger.defaults.segments]
            missing = [s for s in SEGMENTS if s not in codes]
            if codes and len(missing) <= 2:
                # Nine labels spelt out say less than "todos" or "todos menos Sin gasto".
                chosen = []
                if missing:
                    chosen = [_("todos menos %(s)s") % {"s": ", ".join(str(SEGMENT_LABELS[s]) for s in missing)}]
            lines.append((_("Segmentos"), ", ".join(map(str, chosen)) or _("todos")))
        if "channel" in tunes:
            lines.append((_("Canal"), obj.get_channel_display() or _("el del tipo de mensaje")))
        if "template_variant" in tunes and obj.template_variant:
            lines.append((_("Variante"), obj.template_variant))
        if "early_high_risk" in tunes:
            lines.append((_("Anticipada (riesgo alto)"), _("sí") if obj.early_high_risk else _("no")))
        return format_html_join(" · ", "<strong>{}</strong>: {}", ((str(a), str(b)) for a, b in lines))
