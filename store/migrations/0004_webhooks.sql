-- Push webhooks: each SCM connection has a webhook secret (sealed with the
-- master key), and delivery ids are remembered to refuse replays.
ALTER TABLE scm_connections ADD COLUMN webhook_secret_sealed {{blob}};

CREATE TABLE webhook_deliveries (
	id            {{id}},
	connection_id BIGINT NOT NULL REFERENCES scm_connections (id),
	delivery      TEXT NOT NULL,
	received_at   {{time}} NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_delivery ON webhook_deliveries (connection_id, delivery);
