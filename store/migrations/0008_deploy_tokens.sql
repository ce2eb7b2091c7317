-- Deploy tokens: app-bound credentials for CI. Only the SHA-256 of the
-- secret is stored (never the secret), with its last four characters for
-- display. Rotation moves the current hash to previous_hash, which keeps
-- working until previous_valid_until (24 h). Revocation is soft (revoked_at).
CREATE TABLE deploy_tokens (
	id                   {{id}},
	app_id               BIGINT NOT NULL REFERENCES apps (id),
	name                 TEXT NOT NULL,
	token_hash           TEXT NOT NULL,
	previous_hash        TEXT,
	previous_valid_until {{time}},
	last4                TEXT NOT NULL,
	scopes               TEXT NOT NULL DEFAULT 'deploy,read',
	created_by           TEXT NOT NULL DEFAULT '',
	created_at           {{time}} NOT NULL,
	expires_at           {{time}} NOT NULL,
	last_used_at         {{time}},
	revoked_at           {{time}}
);
CREATE UNIQUE INDEX deploy_tokens_hash ON deploy_tokens (token_hash);
CREATE INDEX deploy_tokens_previous ON deploy_tokens (previous_hash);
CREATE UNIQUE INDEX deploy_tokens_name ON deploy_tokens (app_id, name) WHERE revoked_at IS NULL;

-- What a deployment ran and who asked: the image digest it pins, the CI
-- context of a ci-triggered deployment, and when it started rendering.
ALTER TABLE deployments ADD COLUMN image_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN ci_commit TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN ci_branch TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN ci_run_url TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN started_at {{time}};
