package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Cluster kinds.
const (
	ClusterKubeconfig = "kubeconfig" // KubeconfigSealed holds the credentials
	ClusterInCluster  = "in-cluster" // the pod's service account
)

// Cluster is a Kubernetes cluster environments deploy to. KubeconfigSealed
// is encrypted by the caller; the store never sees it in plaintext.
type Cluster struct {
	ID               int64
	OrgID            int64
	Name             string
	Kind             string
	APIURL           string
	KubeconfigSealed []byte
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// SCMConnection is a connection to a git host's API. CredentialsSealed is
// encrypted by the caller.
type SCMConnection struct {
	ID                int64
	OrgID             int64
	Kind              string // github | gitlab | gitea | bitbucket
	Name              string
	BaseURL           string
	CredentialsSealed []byte
	// WebhookSecretSealed verifies push webhooks; encrypted by the caller.
	WebhookSecretSealed []byte
	CreatedAt           time.Time
	// Test is what the last check of the credentials found.
	Test ConnectionTest
}

// ConnectionTest is the result of checking a connection's credentials.
type ConnectionTest struct {
	Account  string
	CanWrite bool
	At       *time.Time // nil: never tested
	Error    string
}

const clusterColumns = `id, org_id, name, kind, api_url, kubeconfig_sealed, created_at, updated_at`

func scanCluster(row interface{ Scan(...any) error }) (*Cluster, error) {
	c := &Cluster{}
	return c, row.Scan(&c.ID, &c.OrgID, &c.Name, &c.Kind, &c.APIURL, &c.KubeconfigSealed, &c.CreatedAt, &c.UpdatedAt)
}

// CreateCluster inserts a cluster; its name is unique in the organization.
func (s *Store) CreateCluster(ctx context.Context, c *Cluster) error {
	c.CreatedAt = s.timestamp()
	c.UpdatedAt = c.CreatedAt
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO clusters (org_id, name, kind, api_url, kubeconfig_sealed, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.OrgID, c.Name, c.Kind, c.APIURL, c.KubeconfigSealed, c.CreatedAt, c.UpdatedAt).Scan(&c.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("cluster %q: name taken: %w", c.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create cluster %q: %w", c.Name, err)
	}
	return nil
}

// UpdateClusterCredentials replaces a cluster's API URL and sealed
// kubeconfig (for example when the local control plane restarts with new
// certificates).
func (s *Store) UpdateClusterCredentials(ctx context.Context, id int64, apiURL string, kubeconfigSealed []byte) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE clusters SET api_url = $1, kubeconfig_sealed = $2, updated_at = $3 WHERE id = $4 AND deleted_at IS NULL`,
		apiURL, kubeconfigSealed, s.timestamp(), id)
	if err != nil {
		return fmt.Errorf("update cluster %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update cluster %d: %w", id, ErrNotFound)
	}
	return nil
}

// GetCluster returns the organization's live cluster named name.
func (s *Store) GetCluster(ctx context.Context, orgID int64, name string) (*Cluster, error) {
	c, err := scanCluster(s.db.QueryRowContext(ctx,
		`SELECT `+clusterColumns+` FROM clusters WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL`, orgID, name))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("cluster %q", name))
	}
	return c, nil
}

// ListClusters returns the organization's live clusters by name.
func (s *Store) ListClusters(ctx context.Context, orgID int64) ([]*Cluster, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+clusterColumns+` FROM clusters WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	defer rows.Close()
	var out []*Cluster
	for rows.Next() {
		c, err := scanCluster(rows)
		if err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteCluster soft-deletes a cluster. It refuses while live environments
// deploy to it.
func (s *Store) DeleteCluster(ctx context.Context, id int64) error {
	return s.tx(ctx, func(q queryer) error {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM environments WHERE cluster_id = $1 AND deleted_at IS NULL`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete cluster %d: %w", id, err)
		}
		if n > 0 {
			return fmt.Errorf("delete cluster %d: %d environments deploy to it: %w", id, n, ErrConflict)
		}
		return softDelete(ctx, q, "clusters", id, s.timestamp(), fmt.Sprintf("cluster %d", id))
	})
}

// CreateSCMConnection inserts a connection; its name is unique in the
// organization.
func (s *Store) CreateSCMConnection(ctx context.Context, c *SCMConnection) error {
	c.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO scm_connections (org_id, kind, name, base_url, credentials_sealed, webhook_secret_sealed, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.OrgID, c.Kind, c.Name, c.BaseURL, c.CredentialsSealed, c.WebhookSecretSealed, c.CreatedAt).Scan(&c.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("scm connection %q: name taken: %w", c.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create scm connection %q: %w", c.Name, err)
	}
	return nil
}

// ListSCMConnections returns the organization's live connections by name.
func (s *Store) ListSCMConnections(ctx context.Context, orgID int64) ([]*SCMConnection, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+scmColumns+` FROM scm_connections WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list scm connections: %w", err)
	}
	defer rows.Close()
	var out []*SCMConnection
	for rows.Next() {
		c, err := scanSCM(rows)
		if err != nil {
			return nil, fmt.Errorf("list scm connections: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteSCMConnection soft-deletes a connection.
func (s *Store) DeleteSCMConnection(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "scm_connections", id, s.timestamp(), fmt.Sprintf("scm connection %d", id))
}

const scmColumns = `id, org_id, kind, name, base_url, credentials_sealed, webhook_secret_sealed, created_at,
	account, can_write, tested_at, test_error`

func scanSCM(row interface{ Scan(...any) error }) (*SCMConnection, error) {
	c := &SCMConnection{}
	var tested sql.NullTime
	err := row.Scan(&c.ID, &c.OrgID, &c.Kind, &c.Name, &c.BaseURL, &c.CredentialsSealed, &c.WebhookSecretSealed, &c.CreatedAt,
		&c.Test.Account, &c.Test.CanWrite, &tested, &c.Test.Error)
	c.Test.At = nullTime(tested)
	return c, err
}

// RecordConnectionTest stores the result of checking a connection.
func (s *Store) RecordConnectionTest(ctx context.Context, id int64, t ConnectionTest) error {
	at := s.timestamp()
	if t.At != nil {
		at = t.At.UTC().Truncate(time.Microsecond)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE scm_connections SET account = $1, can_write = $2, tested_at = $3, test_error = $4 WHERE id = $5 AND deleted_at IS NULL`,
		t.Account, t.CanWrite, at, t.Error, id)
	if err != nil {
		return fmt.Errorf("scm connection %d: record test: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("scm connection %d: record test: %w", id, ErrNotFound)
	}
	return nil
}

// GetSCMConnection returns the live connection with id.
func (s *Store) GetSCMConnection(ctx context.Context, id int64) (*SCMConnection, error) {
	c, err := scanSCM(s.db.QueryRowContext(ctx, `SELECT `+scmColumns+` FROM scm_connections WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("scm connection %d", id))
	}
	return c, nil
}

// RecordDelivery remembers a webhook delivery id; a delivery seen before
// is ErrConflict (a replay).
func (s *Store) RecordDelivery(ctx context.Context, connectionID int64, delivery string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (connection_id, delivery, received_at) VALUES ($1, $2, $3)`,
		connectionID, delivery, s.timestamp())
	if isUniqueViolation(err) {
		return fmt.Errorf("webhook delivery %q: already received: %w", delivery, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("record webhook delivery %q: %w", delivery, err)
	}
	return nil
}

// GetClusterByID returns the live cluster with id.
func (s *Store) GetClusterByID(ctx context.Context, id int64) (*Cluster, error) {
	c, err := scanCluster(s.db.QueryRowContext(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("cluster %d", id))
	}
	return c, nil
}
