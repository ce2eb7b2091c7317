-- Keys the platform generates for itself on first start, sealed with the
-- master key: the age identity that opens sealed manifest values (its
-- public recipient is kept readable, the CLI seals to it offline).
CREATE TABLE platform_keys (
	name         TEXT PRIMARY KEY,
	public       TEXT NOT NULL,
	value_sealed {{blob}} NOT NULL,
	created_at   {{time}} NOT NULL
);
