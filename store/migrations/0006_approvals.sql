-- Approvals of deployments waiting in awaiting_approval: one per user.
CREATE TABLE deployment_approvals (
	id            {{id}},
	deployment_id BIGINT NOT NULL REFERENCES deployments (id),
	user_id       BIGINT NOT NULL REFERENCES users (id),
	approved_at   {{time}} NOT NULL
);
CREATE UNIQUE INDEX deployment_approvals_user ON deployment_approvals (deployment_id, user_id);
