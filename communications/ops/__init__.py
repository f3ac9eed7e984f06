"""Operations: health checks, Prometheus metrics, structured logs (ARCHITECTURE §9).

Nothing here carries personal data: checks and metrics speak in counts, ages and
ids, and the log formatter adds request and task ids, never addresses or bodies.
"""
