"""The clients' data rights (Ley 21.719, in force from 1 December 2026).

- ``export``: everything held about one client, as one ZIP (JSON and CSV).
- ``erase``: the client and their messages anonymised in place; bookings stay as
  accounting records without personal fields; a keyed hash of the phone and email goes
  to the suppression list, so a re-import of the same address does not resume marketing.
- ``suppression``: that list, and the lookup the gate uses (reason ``suppressed``).
- ``retention``: message bodies and provider payloads older than
  MESSAGE_BODY_RETENTION_MONTHS are purged; the counts the dashboard needs stay.
Every request is logged (DataRightsRequest) with who answered it and when.
"""
