"""Put back the rows our data migrations ship (templates, trigger settings, beat schedules).

A transactional test ends with a flush, which empties every table, shipped rows included;
a later test that relies on them (beat reading the PeriodicTask rows, staff editing the
shipped template) would then pass or fail depending on the order tests run in. Replaying
the data migrations is the one source of truth for what "shipped" means: every RunPython
forward function in our migrations is idempotent (get_or_create, update_or_create, or an
update guarded by the old value), so replaying them on a full database changes nothing.
"""

from django.apps import apps as global_apps
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

APPS = ("communications",)


def data_migrations():
    """The RunPython forward functions of our apps, in the order migrate ran them."""
    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    plan: list = []
    for leaf in (node for node in graph.leaf_nodes() if node[0] in APPS):
        plan.extend(key for key in graph.forwards_plan(leaf) if key not in plan)
    for key in plan:
        if key[0] in APPS:
            for operation in graph.nodes[key].operations:
                if isinstance(operation, migrations.RunPython):
                    yield operation.code


def restore_shipped_rows() -> None:
    for forward in data_migrations():
        forward(global_apps, None)
