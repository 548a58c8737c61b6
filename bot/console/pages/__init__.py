"""One module per page of the console; each has `register(bp, runtime)`."""

from . import accounts, audit_log, citizens, dashboard, posters, recognition, reports, units

PAGES = (dashboard, units, posters, citizens, recognition, reports, accounts, audit_log)
