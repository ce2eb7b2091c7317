-- Custom domains: a hostname bound to one environment of an app. The
-- binding is proven with a DNS TXT record (_astrolift-challenge.<hostname>
-- = astrolift-verify=<challenge_token>); state moves pending → validated
-- (or failed). last_checked_at and check_error describe the latest check;
-- next_check_at is when the domain checker looks again (backoff, counted
-- by attempts). A hostname is unique among live bindings: removing one
-- (deleted_at) frees it.
CREATE TABLE domains (
	id              {{id}},
	org_id          BIGINT NOT NULL REFERENCES organizations (id),
	app_id          BIGINT NOT NULL REFERENCES apps (id),
	environment_id  BIGINT NOT NULL REFERENCES environments (id),
	hostname        TEXT NOT NULL,
	challenge_token TEXT NOT NULL,
	state           TEXT NOT NULL DEFAULT 'pending',
	last_checked_at {{time}},
	check_error     TEXT NOT NULL DEFAULT '',
	next_check_at   {{time}},
	attempts        INTEGER NOT NULL DEFAULT 0,
	created_by      TEXT NOT NULL DEFAULT '',
	created_at      {{time}} NOT NULL,
	deleted_at      {{time}}
);
CREATE UNIQUE INDEX domains_live_hostname ON domains (hostname) WHERE deleted_at IS NULL;
CREATE INDEX domains_app ON domains (app_id, environment_id);
CREATE INDEX domains_due ON domains (state, next_check_at);
