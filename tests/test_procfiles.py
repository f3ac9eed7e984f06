"""Both Procfiles start a worker for every queue a task can be routed to, and beat exactly once."""

import shlex
from pathlib import Path

import pytest
from django.conf import settings

from aremko.celery import app

ROOT = Path(__file__).resolve().parent.parent
PROCFILES = ("Procfile", "Procfile.production")
# Every value a send task's ``category`` takes (communications.routing.queue_for_category).
CATEGORIES = ("transactional", "marketing", "")


def processes(procfile: str) -> dict[str, list[str]]:
    result = {}
    for line in (ROOT / procfile).read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        result[name.strip()] = shlex.split(command)
    return result


def is_celery(argv: list[str], subcommand: str) -> bool:
    return bool(argv) and argv[0] == "celery" and subcommand in argv


def worker_queues(argv: list[str]) -> set[str]:
    """Queues a ``celery worker`` consumes: its -Q list, or every configured queue without one."""
    for flag in ("-Q", "--queues"):
        if flag in argv:
            return set(argv[argv.index(flag) + 1].split(","))
    for arg in argv:
        if arg.startswith("--queues="):
            return set(arg.split("=", 1)[1].split(","))
    return set(settings.CELERY_TASK_QUEUES)


def routed_queues() -> set[str]:
    """Every queue the configured router sends some registered project task to."""
    app.loader.import_default_modules()
    names = [name for name in app.tasks if not name.startswith("celery.")]
    assert any(name.startswith("communications.tasks.") for name in names), "project tasks were not discovered"
    queues = set()
    for name in names:
        for category in CATEGORIES:
            route = app.amqp.router.route({}, name, args=(), kwargs={"category": category} if category else {})
            queues.add(route["queue"].name)
    return queues


def test_the_router_uses_the_three_queues_of_the_project():
    assert routed_queues() == {"transactional", "marketing", "control"}


@pytest.mark.parametrize("procfile", PROCFILES)
def test_every_routed_queue_is_consumed_by_some_worker(procfile):
    consumed = set()
    for argv in processes(procfile).values():
        if is_celery(argv, "worker"):
            consumed |= worker_queues(argv)
    missing = routed_queues() - consumed
    assert not missing, f"{procfile}: no worker consumes {sorted(missing)}"


@pytest.mark.parametrize("procfile", PROCFILES)
def test_beat_runs_exactly_once(procfile):
    beats = [
        name
        for name, argv in processes(procfile).items()
        if is_celery(argv, "beat") or (is_celery(argv, "worker") and ("-B" in argv or "--beat" in argv))
    ]
    assert len(beats) == 1, f"{procfile}: beat in {beats}"


@pytest.mark.parametrize("procfile", PROCFILES)
def test_the_transactional_worker_takes_no_marketing_work(procfile):
    for argv in processes(procfile).values():
        if is_celery(argv, "worker"):
            queues = worker_queues(argv)
            assert not ("transactional" in queues and "marketing" in queues), argv


def test_production_serves_the_web_with_gunicorn_and_its_configuration_file():
    web = processes("Procfile.production")["web"]
    assert web[0] == "gunicorn" and "aremko.wsgi" in web
    assert web[web.index("-c") + 1] == "gunicorn.conf.py" and (ROOT / "gunicorn.conf.py").exists()


def test_production_runs_no_fake_provider():
    assert not any("fake_redvoiss" in argv for argv in processes("Procfile.production").values())
