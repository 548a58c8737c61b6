"""One module per page of the console; each has `register(bp, runtime)`."""

from . import (accounts, audit_log, broadcasts, campaigns, citizens, courses, dashboard, posters,
               recognition, reports, units)

PAGES = (dashboard, units, posters, citizens, recognition, reports, broadcasts, campaigns, courses,
         accounts, audit_log)
