-- Secret bundles: organization-level named sets of env values, attached to
-- apps by the manifest's [secrets] bundles (per environment through its
-- [environments.<env>.secrets] overlay). Values are sealed by the caller
-- (AES-256-GCM with the master key); the store never sees a plaintext.
-- Deleting a bundle is soft; a deleted bundle's name can be used again.
CREATE TABLE secret_bundles (
	id          {{id}},
	org_id      BIGINT NOT NULL REFERENCES organizations (id),
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  {{time}} NOT NULL,
	updated_at  {{time}} NOT NULL,
	deleted_at  {{time}}
);
CREATE UNIQUE INDEX secret_bundles_name ON secret_bundles (org_id, name) WHERE deleted_at IS NULL;

-- One row per key of a bundle. Removing a key deletes its row: a sealed
-- value nobody can use any more is not kept.
CREATE TABLE secret_bundle_values (
	bundle_id    BIGINT NOT NULL REFERENCES secret_bundles (id),
	key          TEXT NOT NULL,
	value_sealed {{blob}} NOT NULL,
	updated_at   {{time}} NOT NULL,
	PRIMARY KEY (bundle_id, key)
);
