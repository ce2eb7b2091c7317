-- Commands run in an app's pods through the exec API: who ran what, where,
-- and how it ended (never the output). Only the last 20 per app and user
-- are kept, for one-click re-run; older rows are pruned on insert.
CREATE TABLE commands (
	id             {{id}},
	org_id         BIGINT NOT NULL REFERENCES organizations (id),
	app_id         BIGINT NOT NULL REFERENCES apps (id),
	environment_id BIGINT NOT NULL REFERENCES environments (id),
	user_id        BIGINT NOT NULL REFERENCES users (id),
	workload       TEXT NOT NULL,
	container      TEXT NOT NULL DEFAULT '',
	pod            TEXT NOT NULL DEFAULT '',
	command        TEXT NOT NULL,
	exit_code      INTEGER,
	started_at     {{time}} NOT NULL,
	finished_at    {{time}},
	error          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX commands_app_user ON commands (app_id, user_id, id);
