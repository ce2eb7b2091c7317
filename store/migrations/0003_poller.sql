-- The git poller: leases so that one replica polls a repository at a time,
-- and a per-app poll interval override (0: the server's default).
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at {{time}} NOT NULL
);

ALTER TABLE apps ADD COLUMN poll_interval_seconds INTEGER NOT NULL DEFAULT 0;
