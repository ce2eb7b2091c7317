-- Outbound webhooks: subscriptions of an app (app_id set) or of the whole
-- organization (app_id NULL) to event types (comma-separated: exact kinds
-- such as deployment.succeeded, prefixes such as deployment.*, or *). The
-- signing secret is sealed with the master key. last_* describe the latest
-- attempt; failed_count counts deliveries that failed for good.
CREATE TABLE outbound_webhooks (
	id               {{id}},
	org_id           BIGINT NOT NULL REFERENCES organizations (id),
	app_id           BIGINT REFERENCES apps (id),
	url              TEXT NOT NULL,
	event_types      TEXT NOT NULL,
	secret_sealed    {{blob}} NOT NULL,
	created_by       TEXT NOT NULL DEFAULT '',
	created_at       {{time}} NOT NULL,
	deleted_at       {{time}},
	last_delivery_at {{time}},
	last_status      INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	failed_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbound_webhooks_org ON outbound_webhooks (org_id, app_id);

-- The delivery queue: one row per (webhook, event), so an event is queued
-- once (pings have no event). A pending row is due at next_attempt_at; a
-- worker claims it by moving next_attempt_at past its attempt (and counting
-- the attempt), so a crashed worker's delivery is due again later. The row
-- records the latest attempt's status code, duration and error.
CREATE TABLE outbound_deliveries (
	id              {{id}},
	webhook_id      BIGINT NOT NULL REFERENCES outbound_webhooks (id),
	event_id        BIGINT,
	event_type      TEXT NOT NULL,
	payload         TEXT NOT NULL,
	status          TEXT NOT NULL DEFAULT 'pending',
	attempt         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at {{time}},
	status_code     INTEGER NOT NULL DEFAULT 0,
	duration_ms     BIGINT NOT NULL DEFAULT 0,
	error           TEXT NOT NULL DEFAULT '',
	created_at      {{time}} NOT NULL,
	delivered_at    {{time}}
);
CREATE UNIQUE INDEX outbound_deliveries_event ON outbound_deliveries (webhook_id, event_id);
CREATE INDEX outbound_deliveries_due ON outbound_deliveries (status, next_attempt_at);

-- How far the dispatcher has followed the events feed. It starts at the
-- events that exist now: webhooks created from here on get what follows.
CREATE TABLE outbound_cursor (
	name     TEXT PRIMARY KEY,
	event_id BIGINT NOT NULL
);
INSERT INTO outbound_cursor (name, event_id) SELECT 'events', COALESCE(MAX(id), 0) FROM events;
