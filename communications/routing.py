"""Which Celery queue each task goes to (settings.CELERY_TASK_ROUTES).

- ``transactional``: sends of confirmations, reminders, follow-ups, and the task a
  saved booking publishes (it writes the confirmation). Their worker takes
  no marketing work, so a campaign of 100,000 SMS never delays a booking confirmation.
- ``marketing``: every other send.
- ``control``: beat sweeps, triggers and provider polls, so that a client's "BAJA"
  reply is read within a minute or two even while a big campaign drains.
"""

SEND_TASKS = ("communications.tasks.send_message", "communications.tasks.send_batch")
TRANSACTIONAL_TASKS = ("communications.tasks.booking_saved_task",)
# Long jobs (a whole campaign's audience, a model retrain, a 35-day rebuild) would sit in
# front of the reply polls on ``control``: they run beside the marketing sends instead.
LONG_TASKS = (
    "communications.tasks.run_campaign",
    "communications.tasks.score_clients",
    "communications.tasks.refresh_stats_nightly",
    "communications.tasks.send_weekly_report",
    "communications.tasks.purge_message_bodies",
)


def queue_for_category(category: str) -> str:
    return "transactional" if category == "transactional" else "marketing"


def route_task(name, args, kwargs, options, task=None, **kw):
    if name in SEND_TASKS:
        return {"queue": queue_for_category((kwargs or {}).get("category", "marketing"))}
    if name in TRANSACTIONAL_TASKS:
        return {"queue": "transactional"}
    if name in LONG_TASKS:
        return {"queue": "marketing"}
    if name.startswith("communications."):
        return {"queue": "control"}
    return None
