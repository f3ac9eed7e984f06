"""Structured logs: request and task ids on every record, JSON when LOG_FORMAT=json.

The request id comes from the incoming ``X-Request-ID`` (when it looks like an id)
or is made here; it travels into Celery task headers, so a booking saved in the
admin and the confirmation task it publishes log the same id. Records never carry
personal data: ``scrub`` masks phone numbers and email addresses in anything
that leaves the process (Sentry events), as a last line of defence.
"""

import contextvars
import re
import uuid

from pythonjsonlogger.json import JsonFormatter

current_request_id = contextvars.ContextVar("request_id", default="")
current_task_id = contextvars.ContextVar("task_id", default="")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


class ContextFilter:
    """Adds request_id and task_id to every record (empty outside a request or task)."""

    def filter(self, record) -> bool:
        record.request_id = current_request_id.get()
        record.task_id = current_task_id.get()
        return True


class Formatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id, task_id."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s", *args, **kwargs)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = current_request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


def scrub(text: str) -> str:
    return _PHONE.sub("[teléfono]", _EMAIL.sub("[email]", text))


def scrub_event(event, hint=None):
    """Sentry before_send: mask addresses in messages, exception values and breadcrumbs."""
    if "message" in event and isinstance(event["message"], str):
        event["message"] = scrub(event["message"])
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = scrub(logentry[key])
    if logentry.get("params"):
        logentry["params"] = ["[filtrado]" for _ in logentry["params"]]
    for exc in (event.get("exception") or {}).get("values", []):
        if isinstance(exc.get("value"), str):
            exc["value"] = scrub(exc["value"])
        for frame in (exc.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)  # local variables hold phones, emails and bodies
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = scrub(crumb["message"])
    event.pop("user", None)
    return event


def connect_celery() -> None:
    """Carry the request id into task headers, and set both ids while a task runs."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    @before_task_publish.connect(weak=False)
    def _publish(headers=None, **kwargs):
        if headers is not None and current_request_id.get():
            headers.setdefault("request_id", current_request_id.get())

    @task_prerun.connect(weak=False)
    def _prerun(task_id=None, task=None, **kwargs):
        current_request_id.set(getattr(task.request, "request_id", None) or "" if task else "")
        current_task_id.set(task_id or "")

    @task_postrun.connect(weak=False)
    def _postrun(**kwargs):
        current_request_id.set("")
        current_task_id.set("")
