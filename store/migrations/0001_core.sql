-- Core entities: organizations, users, teams, projects, scm connections,
-- clusters, apps, environments, deployments with their lifecycle, events.

CREATE TABLE organizations (
	id         {{id}},
	slug       TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	deleted_at {{time}}
);
CREATE UNIQUE INDEX organizations_slug ON organizations (slug) WHERE deleted_at IS NULL;

CREATE TABLE users (
	id            {{id}},
	org_id        BIGINT NOT NULL REFERENCES organizations (id),
	email         TEXT NOT NULL,
	name          TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	created_at    {{time}} NOT NULL,
	deleted_at    {{time}}
);
CREATE UNIQUE INDEX users_email ON users (email) WHERE deleted_at IS NULL;

CREATE TABLE teams (
	id         {{id}},
	org_id     BIGINT NOT NULL REFERENCES organizations (id),
	slug       TEXT NOT NULL,
	name       TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	deleted_at {{time}}
);
CREATE UNIQUE INDEX teams_slug ON teams (org_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE projects (
	id          {{id}},
	org_id      BIGINT NOT NULL REFERENCES organizations (id),
	team_id     BIGINT REFERENCES teams (id),
	slug        TEXT NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at  {{time}} NOT NULL,
	deleted_at  {{time}}
);
CREATE UNIQUE INDEX projects_slug ON projects (org_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE scm_connections (
	id                 {{id}},
	org_id             BIGINT NOT NULL REFERENCES organizations (id),
	kind               TEXT NOT NULL,
	name               TEXT NOT NULL,
	base_url           TEXT NOT NULL DEFAULT '',
	credentials_sealed {{blob}},
	created_at         {{time}} NOT NULL,
	deleted_at         {{time}}
);
CREATE UNIQUE INDEX scm_connections_name ON scm_connections (org_id, name) WHERE deleted_at IS NULL;

CREATE TABLE clusters (
	id                {{id}},
	org_id            BIGINT NOT NULL REFERENCES organizations (id),
	name              TEXT NOT NULL,
	kind              TEXT NOT NULL,
	api_url           TEXT NOT NULL DEFAULT '',
	kubeconfig_sealed {{blob}},
	created_at        {{time}} NOT NULL,
	updated_at        {{time}} NOT NULL,
	deleted_at        {{time}}
);
CREATE UNIQUE INDEX clusters_name ON clusters (org_id, name) WHERE deleted_at IS NULL;

CREATE TABLE apps (
	id                  {{id}},
	org_id              BIGINT NOT NULL REFERENCES organizations (id),
	project_id          BIGINT NOT NULL REFERENCES projects (id),
	slug                TEXT NOT NULL,
	name                TEXT NOT NULL,
	description         TEXT NOT NULL DEFAULT '',
	source_url          TEXT NOT NULL,
	source_kind         TEXT NOT NULL DEFAULT 'git',
	scm_connection_id   BIGINT REFERENCES scm_connections (id),
	deploy_branch       TEXT NOT NULL DEFAULT 'main',
	manifest_path       TEXT NOT NULL DEFAULT 'astrolift.toml',
	namespace           TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL DEFAULT 'pending',
	status_error        TEXT NOT NULL DEFAULT '',
	-- snapshot: the manifest the platform deploys from
	manifest_raw        TEXT NOT NULL DEFAULT '',
	manifest_commit     TEXT NOT NULL DEFAULT '',
	manifest_blob       TEXT NOT NULL DEFAULT '',
	manifest_synced_at  {{time}},
	-- draft: edits saved in the dashboard, not yet in the repository
	manifest_raw_staged TEXT,
	staged_base_blob    TEXT NOT NULL DEFAULT '',
	staged_by           BIGINT REFERENCES users (id),
	staged_at           {{time}},
	staged_pr_url       TEXT NOT NULL DEFAULT '',
	staged_pr_number    BIGINT NOT NULL DEFAULT 0,
	-- repository head as last seen by the poller
	repo_head_commit    TEXT NOT NULL DEFAULT '',
	repo_manifest_blob  TEXT NOT NULL DEFAULT '',
	repo_checked_at     {{time}},
	repo_error          TEXT NOT NULL DEFAULT '',
	created_at          {{time}} NOT NULL,
	updated_at          {{time}} NOT NULL,
	deleted_at          {{time}}
);
CREATE UNIQUE INDEX apps_slug ON apps (slug) WHERE deleted_at IS NULL;
CREATE INDEX apps_deleted_slug ON apps (slug, deleted_at);
CREATE INDEX apps_project ON apps (project_id);

CREATE TABLE environments (
	id                 {{id}},
	app_id             BIGINT NOT NULL REFERENCES apps (id),
	name               TEXT NOT NULL,
	cluster_id         BIGINT REFERENCES clusters (id),
	namespace          TEXT NOT NULL,
	public_url         TEXT NOT NULL DEFAULT '',
	paused             BOOLEAN NOT NULL DEFAULT FALSE,
	required_approvals INTEGER NOT NULL DEFAULT 0,
	position           INTEGER NOT NULL DEFAULT 0,
	created_at         {{time}} NOT NULL,
	updated_at         {{time}} NOT NULL,
	deleted_at         {{time}}
);
CREATE UNIQUE INDEX environments_name ON environments (app_id, name) WHERE deleted_at IS NULL;

CREATE TABLE deployments (
	id             {{id}},
	app_id         BIGINT NOT NULL REFERENCES apps (id),
	environment_id BIGINT NOT NULL REFERENCES environments (id),
	trigger_kind   TEXT NOT NULL,
	status         TEXT NOT NULL,
	commit_sha     TEXT NOT NULL DEFAULT '',
	image          TEXT NOT NULL DEFAULT '',
	manifest_raw   TEXT NOT NULL DEFAULT '',
	rendered       TEXT NOT NULL DEFAULT '',
	created_by     TEXT NOT NULL DEFAULT '',
	error          TEXT NOT NULL DEFAULT '',
	rollback_of    BIGINT REFERENCES deployments (id),
	created_at     {{time}} NOT NULL,
	updated_at     {{time}} NOT NULL,
	finished_at    {{time}}
);
CREATE INDEX deployments_app ON deployments (app_id, id);
CREATE INDEX deployments_status ON deployments (status);

CREATE TABLE deployment_transitions (
	id            {{id}},
	deployment_id BIGINT NOT NULL REFERENCES deployments (id),
	from_status   TEXT NOT NULL,
	to_status     TEXT NOT NULL,
	detail        TEXT NOT NULL DEFAULT '',
	at            {{time}} NOT NULL
);
CREATE INDEX deployment_transitions_deployment ON deployment_transitions (deployment_id, id);

CREATE TABLE events (
	id            {{id}},
	org_id        BIGINT NOT NULL REFERENCES organizations (id),
	app_id        BIGINT REFERENCES apps (id),
	deployment_id BIGINT REFERENCES deployments (id),
	kind          TEXT NOT NULL,
	severity      TEXT NOT NULL DEFAULT 'info',
	message       TEXT NOT NULL,
	actor         TEXT NOT NULL DEFAULT '',
	created_at    {{time}} NOT NULL
);
CREATE INDEX events_app ON events (app_id, id);
CREATE INDEX events_org ON events (org_id, id);
