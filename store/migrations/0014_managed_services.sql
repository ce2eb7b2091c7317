-- Managed services: databases, caches and object storage that the
-- reconciler's managed-service loop provisions for an app's environment
-- (pending → provisioning → active | failed; deprovisioning → removed).
-- The connection envelope (DATABASE_URL, …) is sealed by the caller with the
-- master key; envelope_keys names its keys in plain text so the API can list
-- them without the key. Deleting is soft, after the loop tore the upstream
-- resource down; a (environment, kind, name) is unique among live rows.
CREATE TABLE managed_services (
	id              {{id}},
	org_id          BIGINT NOT NULL REFERENCES organizations (id),
	app_id          BIGINT NOT NULL REFERENCES apps (id),
	environment_id  BIGINT NOT NULL REFERENCES environments (id),
	kind            TEXT NOT NULL,
	name            TEXT NOT NULL DEFAULT '',
	variant         TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	status_error    TEXT NOT NULL DEFAULT '',
	envelope_keys   TEXT NOT NULL DEFAULT '',
	envelope_sealed {{blob}},
	created_by      TEXT NOT NULL DEFAULT '',
	created_at      {{time}} NOT NULL,
	updated_at      {{time}} NOT NULL,
	deleted_at      {{time}}
);
CREATE UNIQUE INDEX managed_services_name ON managed_services (environment_id, kind, name) WHERE deleted_at IS NULL;
CREATE INDEX managed_services_status ON managed_services (status) WHERE deleted_at IS NULL;
