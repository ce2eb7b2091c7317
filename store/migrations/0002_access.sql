-- Accounts and access: server-side sessions, API tokens, role bindings; the
-- app's trigger mode.

-- A session is a browser login. Only the SHA-256 of the cookie value is
-- stored; logout and expiry soft-delete the row.
CREATE TABLE sessions (
	id           {{id}},
	token_hash   TEXT NOT NULL,
	user_id      BIGINT NOT NULL REFERENCES users (id),
	user_agent   TEXT NOT NULL DEFAULT '',
	remote_addr  TEXT NOT NULL DEFAULT '',
	created_at   {{time}} NOT NULL,
	last_seen_at {{time}} NOT NULL,
	expires_at   {{time}} NOT NULL,
	deleted_at   {{time}}
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);

-- An API token authenticates the CLI and CI ("Authorization: Bearer …").
-- Only its SHA-256 and last four characters are stored.
CREATE TABLE api_tokens (
	id           {{id}},
	user_id      BIGINT NOT NULL REFERENCES users (id),
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL,
	last4        TEXT NOT NULL,
	created_at   {{time}} NOT NULL,
	expires_at   {{time}},
	last_used_at {{time}},
	deleted_at   {{time}}
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- A role binding grants a built-in role to a user at a scope: the whole
-- organization (ORG, scope_id = org id), a team and everything its projects
-- hold (TEAM, scope_id = team id), or one app (APP, scope_id = app id).
CREATE TABLE role_bindings (
	id          {{id}},
	org_id      BIGINT NOT NULL REFERENCES organizations (id),
	user_id     BIGINT NOT NULL REFERENCES users (id),
	role        TEXT NOT NULL,
	scope_level TEXT NOT NULL,
	scope_id    BIGINT NOT NULL,
	granted_by  BIGINT REFERENCES users (id),
	granted_at  {{time}} NOT NULL,
	expires_at  {{time}},
	deleted_at  {{time}}
);
CREATE INDEX role_bindings_user ON role_bindings (user_id);
CREATE INDEX role_bindings_scope ON role_bindings (scope_level, scope_id);

ALTER TABLE apps ADD COLUMN trigger_mode TEXT NOT NULL DEFAULT 'push';
