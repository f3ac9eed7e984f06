"""Three queues: transactional sends never wait behind marketing, and polls never wait behind sends."""

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from kombu import pools as kombu_pools

from communications import dispatch, tasks
from communications.gate import request_message
from communications.routing import route_task
from communications.tests.conftest import OPEN_HOURS, _forget_connections
from communications.tests.helpers import new_client, req
from communications.tests.test_sms_end_to_end import status_of, wait_for


def test_sends_go_to_their_categorys_queue_and_everything_else_to_control():
    assert route_task("communications.tasks.send_batch", ("sms",), {"category": "transactional"}, {}) == {
        "queue": "transactional"
    }
    assert route_task("communications.tasks.send_batch", ("sms",), {"category": "marketing"}, {}) == {
        "queue": "marketing"
    }
    assert route_task("communications.tasks.send_message", (1,), {"category": "transactional"}, {}) == {
        "queue": "transactional"
    }
    for beat_task in ("sweep_outbox", "poll_sms_replies", "poll_sms_status", "run_trigger", "check_alerts"):
        assert route_task(f"communications.tasks.{beat_task}", (), {}, {}) == {"queue": "control"}
    # Long jobs never sit in front of the reply polls.
    for long_task in ("run_campaign", "score_clients", "refresh_stats_nightly", "send_weekly_report"):
        assert route_task(f"communications.tasks.{long_task}", (), {}, {}) == {"queue": "marketing"}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["single", "batched"])
def test_enqueue_names_the_category_so_the_router_can_place_each_send(settings, monkeypatch, mode):
    settings.SEND_MODE = mode
    published = []
    for task in (tasks.send_message, tasks.send_batch):
        monkeypatch.setattr(task, "apply_async", lambda args, kwargs, _t=task, **o: published.append((_t.name, kwargs)))
    promo = request_message(req(new_client()))
    confirmation = request_message(
        req(new_client(), kind="booking_confirmation", context={"fecha": "hoy", "hora": "9"})
    )
    published.clear()
    dispatch.enqueue([promo.message.pk, confirmation.message.pk])
    name = "communications.tasks.send_message" if mode == "single" else "communications.tasks.send_batch"
    assert sorted(published, key=str) == sorted(
        [(name, {"category": "marketing"}), (name, {"category": "transactional"})], key=str
    )


@pytest.mark.django_db
def test_a_burst_larger_than_a_batch_is_shared_evenly_between_its_tasks(settings, monkeypatch):
    settings.SEND_MODE, settings.SEND_BATCH_SIZE = "batched", 4
    published = []
    monkeypatch.setattr(tasks.send_batch, "apply_async", lambda args, kwargs, **o: published.append(kwargs))
    ids = [request_message(req(new_client())).message.pk for _ in range(6)]
    published.clear()
    dispatch.enqueue(ids)
    # Two workers finish together (3 + 3), instead of one taking 4 and the other 2.
    assert published == [{"category": "marketing", "size": 3}] * 2
    published.clear()
    dispatch.enqueue(ids[:3])
    assert published == [{"category": "marketing"}]  # one batch: it claims up to SEND_BATCH_SIZE


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_transactional_queue_sends_confirmations_and_takes_no_marketing(redis_url, settings):
    from aremko.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    _forget_connections(app)
    try:
        options = {"pool": "solo", "perform_ping_check": False, "loglevel": "WARNING", "queues": ["transactional"]}
        with start_worker(app, **options):
            # Decided in a past marketing hour, so it is due now whatever time CI runs at.
            promo = request_message(req(new_client()), now=OPEN_HOURS)
            confirmation = request_message(
                req(new_client(), kind="booking_confirmation", context={"fecha": "hoy", "hora": "9"})
            )
            wait_for(lambda: status_of(confirmation.message.pk) == "sent", timeout=30, what="confirmation sent")
            assert status_of(promo.message.pk) == "queued"
            # The marketing task waits in its own queue for its own worker.
            assert redis.Redis.from_url(redis_url).llen("marketing") == 1
    finally:
        kombu_pools.reset()
        app.conf.update(saved)
        _forget_connections(app)


def test_a_worker_freezes_its_startup_heap_unless_told_not_to(settings):
    """Full collections in a worker skip what was alive at start (bench.gate_scale: 7 ms instead of 76 ms)."""
    import gc
    import weakref

    from celery.signals import worker_init, worker_process_init

    from aremko.celery import freeze_startup_heap

    def receivers(signal):
        return [r() if isinstance(r, weakref.ReferenceType) else r for _key, r in signal.receivers]

    # Wired to the worker's start and to each pool process's (not sent here: Celery's Django
    # fixup listens to the same signals and would close this process's connections).
    assert freeze_startup_heap in receivers(worker_init)
    assert freeze_startup_heap in receivers(worker_process_init)

    settings.WORKER_GC_FREEZE = False  # what settings_test says: pytest's own heap stays unfrozen
    freeze_startup_heap()
    assert gc.get_freeze_count() == 0

    settings.WORKER_GC_FREEZE = True
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    ("size", "batch_size", "claimed", "successors"),
    [
        (None, 2, 2, 1),  # a plain task that filled its batch: more may be waiting
        (None, 5, 4, 0),  # not full: nothing waits
        (2, 2, 2, 0),  # a burst's share, taken whole: its siblings take the rest
        (3, 2, 2, 1),  # a share larger than the batch allowed now: the rest is its own
    ],
)
def test_a_full_batch_publishes_its_successor_unless_siblings_cover_the_rest(
    settings, monkeypatch, size, batch_size, claimed, successors
):
    settings.SEND_BATCH_SIZE = batch_size
    from communications import batch_delivery

    def deliver(channel, category, size=None):
        return batch_delivery.BatchReport(claimed=claimed, size=min(size or batch_size, batch_size))

    monkeypatch.setattr(batch_delivery, "deliver_batch", deliver)
    published = []
    monkeypatch.setattr(tasks.send_batch, "apply_async", lambda args, kwargs, **o: published.append(kwargs))
    tasks.send_batch.run("sms", category="marketing", size=size)
    assert published == [{"category": "marketing"}] * successors
