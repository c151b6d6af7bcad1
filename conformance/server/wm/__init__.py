"""The reference server's [MS-WMCSOM] Work Management object model (domain layer, no wire format).

Importing this package registers a class for every class type of ``specs/ms-wmcsom.json``.
``SCHEMA`` holds the tables (run after ``conformance.server.db.SCHEMA``).

Modules: ``schema`` (tables), ``common`` (enums, dates, validation), ``seed`` (per-user starting
data), ``locations``, ``settings`` (UserSettingsManager and its types), ``tasks`` (Task, write
results, all task writes), ``queries`` (query objects, filtering, ordering), ``refresh`` (refresh
and Exchange-sync jobs), ``sessions`` (sessions and managers). Each module's docstring lists the
behaviour chosen where the spec is silent.
"""

from conformance.server.wm import locations, queries, refresh, sessions, settings, tasks
from conformance.server.wm.schema import SCHEMA

__all__ = ["SCHEMA", "locations", "queries", "refresh", "sessions", "settings", "tasks"]
