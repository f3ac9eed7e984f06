"""``field__any=values``: ``field IN (…)`` sent to PostgreSQL as ``field = ANY(%s)``, one array.

The gate and the send batches filter on lists of 200 to 2,000 ids. As ``IN (%s, %s, …)``
every value is its own placeholder: Django builds and prepares a node per value, and
psycopg splits the statement at every placeholder and quotes each value on the client,
again for every statement, since a statement that long is past its conversion cache. As
one array parameter the statement text stays the same for any number of ids. The rows
matched are the same (``= ANY`` of an array is ``IN`` of its elements; NULL matches
nothing either way), and the planner uses the same index.

Other databases (SQLite for the demo) get Django's own ``IN``, unchanged. Values are
plain values (ids, not model instances), relations included.
"""

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql" or not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)  # EmptyResultSet for no values
        if rhs_sql != f"({', '.join(['%s'] * len(rhs_params))})":
            return super().as_sql(compiler, connection)  # an expression among the values
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s)", (*lhs_params, list(rhs_params))


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # relations read their own lookups only, not Field's
