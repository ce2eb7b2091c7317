-- The app's container image repository in the platform registry
-- (<registry>/<org slug>/<app slug>) and what onboarding last found there
-- ("no image pushed yet", "3 tags", or the error). Empty when no registry
-- is configured.
ALTER TABLE apps ADD COLUMN registry_repository TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN registry_status TEXT NOT NULL DEFAULT '';
