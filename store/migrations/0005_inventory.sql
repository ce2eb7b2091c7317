-- The deployer's inventory: what the last successful deployment of an
-- environment applied (JSON list of object references), so objects rendered
-- last time but not now are pruned.
ALTER TABLE environments ADD COLUMN inventory TEXT NOT NULL DEFAULT '';
