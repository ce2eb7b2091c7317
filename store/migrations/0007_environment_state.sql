-- Environments: a replica override (NULL: the manifest's count), self-heal
-- (drift is corrected by re-applying the last deployment), and what the
-- drift check and the live-state watch last found (JSON documents written
-- by the reconciler, with the time they were taken).
ALTER TABLE environments ADD COLUMN replicas INTEGER;
ALTER TABLE environments ADD COLUMN self_heal BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE environments ADD COLUMN drift TEXT NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN drift_checked_at {{time}};
ALTER TABLE environments ADD COLUMN live TEXT NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN live_at {{time}};
