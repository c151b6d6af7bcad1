"""SQLite tables of the workflow object model (executed at start-up with the other schemas).

GUIDs are stored as lower-case text, times as ISO-8601 UTC text, dictionaries and arrays as
JSON (``conformance.server.wf.store.dumps``: GUIDs, dates and bytes keep their type). Every
row belongs to one web (``sp_webs``, ``conformance.server.core.CORE_SCHEMA``): the
WorkflowServicesManager of a web sees only that web's definitions, subscriptions and instances.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS wf_definitions (
    web_id TEXT NOT NULL REFERENCES sp_webs(id),
    id TEXT NOT NULL,
    display_name TEXT,
    description TEXT,
    xaml TEXT,
    association_url TEXT,
    form_field TEXT,
    initiation_url TEXT,
    requires_association_form INTEGER NOT NULL DEFAULT 0,
    requires_initiation_form INTEGER NOT NULL DEFAULT 0,
    restrict_to_scope TEXT,
    restrict_to_type TEXT,
    properties TEXT NOT NULL DEFAULT '{}',        -- JSON object (the property bag)
    draft_version TEXT NOT NULL,                  -- changes on every SaveDefinition
    published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    published_xaml TEXT,                          -- the Xaml as last published (what instances run)
    deprecated INTEGER NOT NULL DEFAULT 0 CHECK (deprecated IN (0, 1)),
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    PRIMARY KEY (web_id, id)
);
CREATE TABLE IF NOT EXISTS wf_collateral (
    web_id TEXT NOT NULL,
    definition_id TEXT NOT NULL,
    leaf TEXT NOT NULL COLLATE NOCASE,
    content BLOB NOT NULL,
    modified TEXT NOT NULL,
    PRIMARY KEY (web_id, definition_id, leaf),
    FOREIGN KEY (web_id, definition_id) REFERENCES wf_definitions(web_id, id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS wf_subscriptions (
    web_id TEXT NOT NULL REFERENCES sp_webs(id),
    id TEXT NOT NULL,
    definition_id TEXT NOT NULL,
    event_source_id TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    status_field_name TEXT,
    event_types TEXT NOT NULL DEFAULT '[]',       -- JSON array of strings
    manual_start_bypasses_activation_limit INTEGER NOT NULL DEFAULT 0,
    parent_content_type_id TEXT,
    property_definitions TEXT NOT NULL DEFAULT '{}',  -- JSON object
    external_variables TEXT NOT NULL DEFAULT '{}',    -- JSON object
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    PRIMARY KEY (web_id, id)
);
CREATE INDEX IF NOT EXISTS wf_subscriptions_source ON wf_subscriptions (web_id, event_source_id);
CREATE TABLE IF NOT EXISTS wf_instances (
    id TEXT PRIMARY KEY,
    web_id TEXT NOT NULL REFERENCES sp_webs(id),
    subscription_id TEXT NOT NULL,                -- kept when the subscription is deleted later
    list_id TEXT,                                 -- NULL: a site workflow instance
    item_id INTEGER,                              -- NULL: not started on a list item
    status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 8),  -- WorkflowStatus
    user_status TEXT,
    properties TEXT NOT NULL DEFAULT '{}',        -- JSON object
    fault_info TEXT,
    cancel_correlation TEXT,                      -- the request that asked to cancel (Canceling)
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS wf_instances_subscription ON wf_instances (web_id, subscription_id);
CREATE INDEX IF NOT EXISTS wf_instances_item ON wf_instances (web_id, list_id, item_id);
CREATE TABLE IF NOT EXISTS wf_instance_events (      -- what GetDebugInfo reports
    instance_id TEXT NOT NULL REFERENCES wf_instances(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,                           -- Transition | CustomEvent | UserStatus
    name TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS wf_instance_events_instance ON wf_instance_events (instance_id);
CREATE TABLE IF NOT EXISTS wf_list_interest (        -- RegisterInterestIn(HostWeb)List
    web_id TEXT NOT NULL REFERENCES sp_webs(id),
    list_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    host_web INTEGER NOT NULL CHECK (host_web IN (0, 1)),
    PRIMARY KEY (web_id, list_id, event_name, host_web)
);
CREATE TABLE IF NOT EXISTS wf_disabled_events (      -- InteropService.DisableEvents
    web_id TEXT NOT NULL REFERENCES sp_webs(id),
    list_id TEXT NOT NULL,                        -- empty GUID: the web scope
    item_guid TEXT NOT NULL,                      -- empty GUID: the whole list / web
    PRIMARY KEY (web_id, list_id, item_guid)
);
"""
