"""Staff roles, proven page by page (trust spec, "Roles"; issue 11 item 3).

Every admin URL (the index, each registered model's list, add and change page, and the
custom pages) is walked as a user of each role and compared with the matrix written out
below. Allowed is 200; forbidden is 403 (the admin raises PermissionDenied for a staff
user without the permission). Pages nobody may use (append-only evidence, read-only
logs) are forbidden for Administración too: evidence is read, never written.
"""

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communications import actions, audit, calls, roles
from communications.feedback.models import SmsReply
from communications.gate import request_message
from communications.models import CampaignRun, ClientPreferences, ConsentEvent, DeliveryEvent, SendBatch
from communications.privacy.models import DataRightsRequest, SuppressionEntry
from communications.stats.models import Alert
from communications.tests.helpers import local, new_client, req
from ventas.models import Campaign, CampaignInteraction, Servicio
from ventas.tests.factories import ClienteFactory, give_visits

pytestmark = pytest.mark.django_db

R, M, A = roles.RECEPCION, roles.MARKETING, roles.ADMINISTRACION
ALL = frozenset({R, M, A})
NOBODY = frozenset()

# model label -> (roles that open its list and change page, roles that open its add page)
MODEL_PAGES: dict[str, tuple[frozenset, frozenset]] = {
    "auth.Group": ({A}, {A}),
    "auth.User": ({A}, {A}),
    # The audit trail: only Administración reads it; nobody writes it from the admin.
    "auditlog.LogEntry": ({A}, NOBODY),
    "communications.AuditEvent": ({A}, NOBODY),
    # Data-rights requests: Administración registers them as they arrive and answers them.
    "communications.DataRightsRequest": ({A}, {A}),
    "communications.SuppressionEntry": ({A}, NOBODY),
    "ventas.Cliente": (ALL, {R, A}),
    "ventas.Servicio": (ALL, {A}),
    "ventas.VentaReserva": (ALL, {R, A}),
    "ventas.CampaignInteraction": (ALL, {R, A}),
    # The VIP call list (its change page is the call form).
    "ventas.InactiveVipCall": ({R, A}, NOBODY),
    "ventas.Campaign": ({M, A}, {M, A}),
    "communications.Message": (ALL, NOBODY),
    "communications.ConsentEvent": ({R, A}, NOBODY),
    "communications.DeliveryEvent": ({A}, NOBODY),
    "communications.MessageTemplate": ({M, A}, {M, A}),
    "communications.TriggerSetting": ({M, A}, NOBODY),
    "communications.Alert": ({M, A}, NOBODY),
    "communications.SendBatch": ({M, A}, NOBODY),
    # The replies inbox: Recepción answers clients and records the opt-outs they write.
    "communications.SmsReply": ({R, A}, NOBODY),
    # One row ("pausar marketing"); once it exists nobody adds another (see the test below).
    "communications.SendingControl": ({A}, NOBODY),
    "communications.InsightRun": ({A}, NOBODY),
    # Scheduler plumbing: superusers only, Administración included in "forbidden".
    "django_celery_beat.PeriodicTask": (NOBODY, NOBODY),
    "django_celery_beat.ClockedSchedule": (NOBODY, NOBODY),
    "django_celery_beat.CrontabSchedule": (NOBODY, NOBODY),
    "django_celery_beat.SolarSchedule": (NOBODY, NOBODY),
    "django_celery_beat.IntervalSchedule": (NOBODY, NOBODY),
}

# Actions offered on a list page, per role (only for roles that may open the list).
ACTIONS: dict[str, dict[str, set]] = {
    "ventas.Cliente": {
        R: set(),
        M: set(),
        A: {"delete_selected", "export_personal_data", "erase_personal_data"},
    },
    "communications.Message": {
        R: set(),
        M: {"cancel_pending"},
        A: {"cancel_pending", "resolve_unknown_as_sent", "resolve_unknown_as_failed"},
    },
    "communications.SmsReply": {
        R: {"mark_reviewed", "apply_opt_out"},
        A: {"mark_reviewed", "apply_opt_out"},
    },
    "communications.DataRightsRequest": {
        A: {"answer_with_export", "answer_with_erasure", "mark_answered"},
    },
}


@pytest.fixture
def rows():
    """At least one row for every registered model, so each change page is walked."""
    with_phone = new_client(nombre="Ana Pérez")
    # An inactive VIP: six paid visits, the last four months ago.
    vip = ClienteFactory(nombre="Vicente Vip")
    give_visits(vip, 6, 40_000, days_ago=120)
    message = request_message(req(with_phone), now=local(2026, 11, 25, 10)).message
    event = DeliveryEvent.objects.create(
        message=message, provider="redvoiss", event_type="reply", dedupe_key="roles:reply:1"
    )
    SmsReply.objects.create(
        cliente=with_phone, message=message, delivery_event=event, text="Gracias", kind="other", needs_review=True
    )
    calls.register_call(vip, calls.OUTCOME_CHOICES[0][0], "", "jefa")
    actions.update_preferences(
        with_phone.pk, {"accepts_marketing_email": False}, source=ConsentEvent.Source.ADMIN, actor="jefa"
    )
    campaign = Campaign.objects.create(name="Verano")
    run = CampaignRun.objects.create(campaign=campaign, mode=CampaignRun.Mode.SEND)
    from communications.models import SendingControl

    SendingControl.objects.get_or_create(pk=1)
    SendBatch.objects.create(channel="sms", category="marketing")
    Alert.objects.create(code="roles_test", severity=Alert.Severity.choices[0][0])
    audit.record(audit.AuditEvent.Action.EXPORT, actor="jefa", cliente_id=with_phone.pk)
    DataRightsRequest.objects.create(cliente_id_ref=with_phone.pk, kind=DataRightsRequest.Kind.EXPORT)
    SuppressionEntry.objects.create(channel="sms", digest="0" * 64)
    Servicio.objects.get_or_create(nombre="Tina caliente", defaults={"precio_base": 25_000})
    from communications.insights.models import InsightRun

    InsightRun.objects.create(churn_version="v1", churn_in_use="x", sendtime_in_use="x", recommend_in_use="x")
    return {"cliente": with_phone, "vip": vip, "campaign": campaign, "run": run}


@pytest.fixture
def browsers():
    """A logged-in browser per role; plain staff users, never superusers."""
    result = {}
    for role in (R, M, A):
        user = User.objects.create_user(f"u-{role}", password="clave-segura-123", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        browser = Client()
        browser.force_login(user)
        result[role] = browser
    return result


def url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def allowed(response) -> bool:
    assert response.status_code in (200, 403), (response.status_code, response.get("Location"))
    return response.status_code == 200


def test_the_three_groups_exist_after_migrate_and_syncing_again_changes_nothing():
    names = set(Group.objects.filter(name__in=[R, M, A]).values_list("name", flat=True))
    assert names == {R, M, A}
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    first = roles.sync_roles()
    second = roles.sync_roles()
    assert first == second
    assert Group.objects.filter(name__in=[R, M, A]).count() == 3
    assert {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()} == before


def test_every_permission_a_role_names_exists():
    for role, names in roles.ROLES.items():
        _found, missing = roles.resolve(names)
        assert missing == [], (role, missing)


def test_administracion_holds_every_permission_and_the_others_exactly_their_list():
    assert Group.objects.get(name=A).permissions.count() == Permission.objects.count()
    for role, names in roles.ROLES.items():
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()}
        assert granted == set(names), role


def test_every_registered_model_has_a_row_in_the_matrix():
    assert {m._meta.label for m in admin.site._registry} == set(MODEL_PAGES)


def test_each_role_opens_exactly_the_model_pages_the_matrix_gives_it(rows, browsers):
    seen, expected = {}, {}
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        view_roles, add_roles = MODEL_PAGES[label]
        obj = model_admin.get_queryset(_request_of_superuser()).first()
        for role, browser in browsers.items():
            seen[(label, "list", role)] = allowed(browser.get(url(model, "changelist")))
            expected[(label, "list", role)] = role in view_roles
            seen[(label, "add", role)] = allowed(browser.get(url(model, "add")))
            expected[(label, "add", role)] = role in add_roles
            if obj is not None:
                seen[(label, "change", role)] = allowed(browser.get(url(model, "change", obj.pk)))
                expected[(label, "change", role)] = role in view_roles
    differences = sorted(key for key in expected if seen[key] != expected[key])
    assert differences == [], differences
    # Every change page was walked (the fixture leaves a row everywhere but the scheduler's plumbing).
    walked = {label for label, page, _role in seen if page == "change"}
    assert set(MODEL_PAGES) - walked <= {
        "django_celery_beat.ClockedSchedule",
        "django_celery_beat.SolarSchedule",
        "django_celery_beat.IntervalSchedule",
        "django_celery_beat.PeriodicTask",
        "django_celery_beat.CrontabSchedule",
    }


def test_every_staff_role_opens_the_admin_index(browsers):
    for role, browser in browsers.items():
        assert browser.get(reverse("admin:index")).status_code == 200, role


def test_each_role_opens_exactly_the_custom_pages_the_matrix_gives_it(rows, browsers):
    cliente, vip, campaign, run = rows["cliente"], rows["vip"], rows["campaign"], rows["run"]
    pages = {
        "dashboard": ("/admin/communications/dashboard/", {M, A}),
        "dashboard csv": ("/admin/communications/dashboard/export.csv", {M, A}),
        "call list": (reverse("admin:ventas_inactivevipcall_changelist"), {R, A}),
        "call form": (reverse("admin:ventas_inactivevipcall_change", args=[vip.pk]), {R, A}),
        "campaign preview": (reverse("admin:ventas_campaign_preview", args=[campaign.pk]), {M, A}),
        "campaign results": (reverse("admin:ventas_campaign_results", args=[campaign.pk]), {M, A}),
        "campaign run": (reverse("admin:ventas_campaign_run", args=[run.pk]), {M, A}),
        "campaign progress": (reverse("admin:ventas_campaign_progress", args=[run.pk]), {M, A}),
        # Counts per segment, no personal data: every staff member.
        "pending by segment": (reverse("admin:ventas_campaign_pending_by_segment"), ALL),
        "send a message": (reverse("admin:ventas_cliente_send_message", args=[cliente.pk]), {R, A}),
        "replies inbox": (reverse("admin:communications_smsreply_changelist"), {R, A}),
        "send batches": (reverse("admin:communications_sendbatch_changelist"), {M, A}),
    }
    differences = []
    for name, (address, who) in pages.items():
        for role, browser in browsers.items():
            if allowed(browser.get(address)) != (role in who):
                differences.append((name, role))
    assert differences == [], differences


def test_only_administracion_registers_and_answers_a_data_rights_request(rows, browsers):
    cliente = rows["cliente"]
    address = reverse("admin:communications_datarightsrequest_add")
    received = timezone.localtime(timezone.now())
    data = {
        "kind": DataRightsRequest.Kind.EXPORT,
        "channel": DataRightsRequest.Channel.EMAIL,
        "received_at_0": received.strftime("%d/%m/%Y"),
        "received_at_1": received.strftime("%H:%M:%S"),
        "cliente": cliente.email,
    }
    before = DataRightsRequest.objects.count()
    for role in (R, M):
        assert browsers[role].post(address, data).status_code == 403, role
    assert DataRightsRequest.objects.count() == before
    response = browsers[A].post(address, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    registered = DataRightsRequest.objects.latest("pk")
    assert (registered.cliente_id_ref, registered.registered_by) == (cliente.pk, f"u-{A}")
    # Answering goes through the export path: only a role with export_personal_data gets the ZIP.
    changelist = reverse("admin:communications_datarightsrequest_changelist")
    action = {"action": "answer_with_export", "_selected_action": [registered.pk]}
    for role in (R, M):
        assert browsers[role].post(changelist, action).status_code == 403, role
    answer = browsers[A].post(changelist, action)
    assert answer["Content-Type"] == "application/zip"
    registered.refresh_from_db()
    assert registered.answered_by == f"u-{A}" and registered.answered_at is not None


def test_only_administracion_may_create_the_pause_marketing_switch(browsers):
    from communications.models import SendingControl

    SendingControl.objects.all().delete()
    address = reverse("admin:communications_sendingcontrol_add")
    codes = {role: b.get(address).status_code for role, b in browsers.items()}
    assert codes == {R: 403, M: 403, A: 200}
    browsers[R].post(address, {"marketing_paused": "on"})
    assert not SendingControl.objects.exists()


def test_recepcion_registers_a_call_from_the_call_list_and_marketing_cannot(rows, browsers):
    address = reverse("admin:ventas_inactivevipcall_change", args=[rows["vip"].pk])
    first = calls.OUTCOME_CHOICES[0][0]
    assert browsers[M].post(address, {"outcome": first, "notes": ""}).status_code == 403
    response = browsers[R].post(address, {"outcome": first, "notes": ""})
    assert response.status_code == 302
    assert CampaignInteraction.objects.filter(cliente=rows["vip"], details__staff=f"u-{R}").exists()


def test_only_the_roles_that_edit_templates_get_the_live_sms_counter(browsers):
    address = reverse("admin:communications_messagetemplate_sms_preview")
    body = '{"text": "Hola"}'
    codes = {role: b.post(address, body, content_type="application/json").status_code for role, b in browsers.items()}
    assert codes == {R: 403, M: 200, A: 200}


def test_each_role_is_offered_exactly_its_actions(rows, browsers):
    differences = []
    for label, per_role in ACTIONS.items():
        model = next(m for m in admin.site._registry if m._meta.label == label)
        for role, expected in per_role.items():
            form = browsers[role].get(url(model, "changelist")).context["action_form"]
            offered = {name for name, _label in form.fields["action"].choices if name} if form else set()
            if offered != expected:
                differences.append((label, role, sorted(offered)))
    assert differences == [], differences


def test_the_client_page_lets_recepcion_record_an_opt_out_and_an_opt_in_in_the_ledger(rows, browsers):
    cliente = rows["cliente"]
    address = reverse("admin:ventas_cliente_change", args=[cliente.pk])

    def submit(accepts_marketing_sms: bool):
        page = browsers[R].get(address)
        assert page.status_code == 200
        data = _form_data(page.context["adminform"].form)
        for inline in page.context["inline_admin_formsets"]:
            data.update(_formset_data(inline.formset))
            if inline.formset.model is ClientPreferences:
                flag = f"{inline.formset.prefix}-0-accepts_marketing_sms"
        data.pop(flag, None)
        if accepts_marketing_sms:
            data[flag] = "on"
        response = browsers[R].post(address, data)
        assert response.status_code == 302, response.context["adminform"].form.errors

    submit(accepts_marketing_sms=False)
    assert ConsentEvent.objects.filter(cliente=cliente, granted=False, actor=f"u-{R}", channel="sms").exists()
    submit(accepts_marketing_sms=True)
    assert ConsentEvent.objects.filter(cliente=cliente, granted=True, actor=f"u-{R}", channel="sms").exists()


def test_a_role_change_through_the_admin_is_in_the_audit_trail_with_its_actor(browsers):
    clerk = User.objects.create_user("nueva", password="clave-segura-123", is_staff=True)
    address = reverse("admin:auth_user_change", args=[clerk.pk])
    joined = clerk.date_joined.astimezone(local(2026, 1, 1).tzinfo)
    data = {
        "username": clerk.username,
        "is_active": "on",
        "is_staff": "on",
        "groups": [str(Group.objects.get(name=M).pk)],
        "date_joined_0": joined.strftime("%d/%m/%Y"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }
    response = browsers[A].post(address, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(clerk.groups.values_list("name", flat=True)) == [M]
    entry = next(e for e in LogEntry.objects.get_for_object(clerk).order_by("-timestamp") if "groups" in e.changes)
    assert entry.actor.username == f"u-{A}"
    assert entry.changes["groups"]["objects"] == [M]


def test_a_role_change_cannot_be_edited_or_deleted_through_the_admin(browsers):
    clerk = User.objects.create_user("otra", password="clave-segura-123", is_staff=True)
    clerk.groups.add(Group.objects.get(name=R))
    entry = LogEntry.objects.get_for_object(clerk).latest("timestamp")
    for address in (url(LogEntry, "change", entry.pk), url(LogEntry, "delete", entry.pk)):
        browsers[A].post(address, {"post": "yes"})
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    for role in (R, M):
        assert browsers[role].get(url(LogEntry, "changelist")).status_code == 403


def _request_of_superuser():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def _form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or getattr(field.widget, "read_only", False):
            continue
        if isinstance(field.widget, MultiWidget):
            for i, part in enumerate(field.widget.decompress(timezone.localtime(value))):
                data[f"{name}_{i}"] = part.strftime("%d/%m/%Y" if i == 0 else "%H:%M:%S")
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif hasattr(value, "all"):
            data[name] = [str(v.pk) for v in value.all()]
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


def _formset_data(formset) -> dict:
    data = {
        f"{formset.prefix}-TOTAL_FORMS": str(len(formset.forms)),
        f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
        f"{formset.prefix}-MIN_NUM_FORMS": "0",
        f"{formset.prefix}-MAX_NUM_FORMS": "1000",
    }
    for form in formset.forms:
        for name, value in _form_data(form).items():
            data[f"{form.prefix}-{name}"] = value
    return data
