-- SCM connections and push-to-repo.
-- Apps backed by a connection know their repository's full name on the host
-- ("owner/name") and the id of the push webhook registered there. A draft
-- pushed to the repository records its pull request's branch and state
-- (open, merged, closed), refreshed by the poller.
ALTER TABLE apps ADD COLUMN scm_repo TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN scm_hook_id TEXT NOT NULL DEFAULT '';
-- The text the draft is based on (the manifest at staged_base_blob), so a
-- draft can be three-way merged onto a repository that moved.
ALTER TABLE apps ADD COLUMN staged_base_raw TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN staged_pr_branch TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN staged_pr_state TEXT NOT NULL DEFAULT '';
-- What the last test of a connection found: the account its credentials
-- belong to, whether they may write, and the error if it failed.
ALTER TABLE scm_connections ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE scm_connections ADD COLUMN can_write BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE scm_connections ADD COLUMN tested_at {{time}};
ALTER TABLE scm_connections ADD COLUMN test_error TEXT NOT NULL DEFAULT '';
