"""Statistics: the daily rollup, attribution, the holdout, lift, KPIs, alerts, the weekly report.

Nothing on the send path writes here: the rollup is recomputed bucket by bucket
(overwrite, never increment) from the message table by beat, and the dashboard
reads only these precomputed tables (ARCHITECTURE §10, shared/specs/stats.md).
"""
