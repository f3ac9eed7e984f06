"""Insights: churn risk, best send time and service recommendations.

Each model is a pure function of history before a given time (plain data in,
plain data out; no ORM here), so it can be evaluated on the past without
leakage, against simple baselines in the same run (ARCHITECTURE.md §12,
specs/insights.md). Loading from the database lives in ``sources``.
"""
