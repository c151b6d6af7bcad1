"""SQLite tables of the MS-WMCSOM (Work Management) object model.

Executed at start-up after ``conformance.server.db.SCHEMA`` (which creates ``users``). Every row
belongs to one user: the task cache, the locations tasks come from, the user's settings and
persisted UI properties, and the refresh / Exchange-sync jobs. Dates are ISO-8601 text:
``*_at``/``discovered``/``last_modified``/job times are UTC with offset (from ``Context.now``);
``start_date``/``due_date`` are dates as the user typed them, without zone (.NET "unspecified").
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS wm_user_settings (      -- one row per user: also the "seeded" marker
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    days_after_timeline_ends INTEGER NOT NULL DEFAULT 14,
    days_task_is_new INTEGER NOT NULL DEFAULT 3,
    days_before_timeline_starts INTEGER NOT NULL DEFAULT 7,
    important_tasks_limit INTEGER NOT NULL DEFAULT 7,
    inactive_months_before_location_expiration INTEGER NOT NULL DEFAULT 6,
    late_tasks_limit INTEGER NOT NULL DEFAULT 30,
    old_tasks_limit INTEGER NOT NULL DEFAULT 6,
    upcoming_tasks_limit INTEGER NOT NULL DEFAULT 14
);
CREATE TABLE IF NOT EXISTS wm_persisted_properties (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    filtered_location_ids TEXT NOT NULL DEFAULT '[]',   -- JSON array of location ids
    group_by_projects INTEGER NOT NULL DEFAULT 0,
    has_shown_mark_as_important_callout INTEGER NOT NULL DEFAULT 0,
    has_shown_task_list_too_long_notification INTEGER NOT NULL DEFAULT 0,
    quick_launch_landing_page TEXT
);
CREATE TABLE IF NOT EXISTS wm_locations (            -- ids are per user (every user has 1..n)
    user_id INTEGER NOT NULL REFERENCES users(id),
    id INTEGER NOT NULL CHECK (id > 0),
    name TEXT NOT NULL,
    parent_id INTEGER,                               -- NULL: a root (ParentId -1 on the wire)
    provider_key TEXT NOT NULL,                      -- RootProviderKey
    provider_name TEXT NOT NULL,                     -- localized provider name
    url TEXT NOT NULL,
    color TEXT NOT NULL,
    important INTEGER NOT NULL DEFAULT 0,
    accepts_tasks INTEGER NOT NULL DEFAULT 1,        -- 0: promoting a task here fails in the provider
    PRIMARY KEY (user_id, id)
);
CREATE TABLE IF NOT EXISTS wm_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,            -- never reused: a deleted id stays "deleted"
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    description TEXT,
    start_date TEXT,
    due_date TEXT,
    is_completed INTEGER NOT NULL DEFAULT 0,
    is_personal INTEGER NOT NULL DEFAULT 1,
    is_read_only INTEGER NOT NULL DEFAULT 0,
    location_id INTEGER,                             -- NULL: no location (LocationId -1)
    edit_url TEXT,
    custom_data TEXT,                                -- SerializedCustomDataForClient
    contacts TEXT NOT NULL DEFAULT '[]',             -- JSON array: other assignees (CalloutInfo)
    pinned_at TEXT,
    discovered TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    sort_order INTEGER NOT NULL,                     -- the user's own order (user-ordered sessions)
    deleted_at TEXT,
    FOREIGN KEY (user_id, location_id) REFERENCES wm_locations (user_id, id)
);
CREATE INDEX IF NOT EXISTS wm_tasks_user ON wm_tasks (user_id, deleted_at);
CREATE TABLE IF NOT EXISTS wm_task_attributes (
    id INTEGER PRIMARY KEY,                          -- insertion order = CustomAttributes order
    task_id INTEGER NOT NULL REFERENCES wm_tasks(id),
    attribute TEXT NOT NULL,
    UNIQUE (task_id, attribute)
);
CREATE TABLE IF NOT EXISTS wm_refresh_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    started TEXT NOT NULL,
    finishes TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0               -- 1: per-location change counts recorded
);
CREATE TABLE IF NOT EXISTS wm_refresh_changes (
    job_id INTEGER NOT NULL REFERENCES wm_refresh_jobs(id),
    root_location_id INTEGER NOT NULL,
    added INTEGER NOT NULL,
    active_added INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    PRIMARY KEY (job_id, root_location_id)
);
CREATE TABLE IF NOT EXISTS wm_exchange_sync (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    opted_in INTEGER NOT NULL DEFAULT 0,
    job_started TEXT,                                -- a sync job in progress, else NULL
    last_end TEXT,
    last_result INTEGER NOT NULL DEFAULT 0           -- ExchangeSyncResult
);
"""
