-- App screenshots: the latest capture of each app's primary public URL,
-- a small PNG shown as the app overview's thumbnail. One row per app.
-- environment_id, url and deployment_id say what was captured (the
-- environment's latest succeeded deployment then); png, sha256 and
-- captured_at are NULL/'' until a capture succeeds. attempted_at, failures
-- and error describe the last attempt: a failed one keeps the previous
-- image and is retried with backoff.
CREATE TABLE app_screenshots (
	app_id         BIGINT NOT NULL PRIMARY KEY REFERENCES apps (id),
	environment_id BIGINT,
	url            TEXT NOT NULL DEFAULT '',
	deployment_id  BIGINT NOT NULL DEFAULT 0,
	png            {{blob}},
	sha256         TEXT NOT NULL DEFAULT '',
	captured_at    {{time}},
	attempted_at   {{time}} NOT NULL,
	failures       INTEGER NOT NULL DEFAULT 0,
	error          TEXT NOT NULL DEFAULT ''
);
