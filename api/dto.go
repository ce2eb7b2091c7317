package api

import (
	"time"

	"github.com/astrolift/astrolift/store"
)

// The JSON shapes of the API (snake_case). They never carry secrets.

type userDTO struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func newUserDTO(u *store.User) userDTO {
	return userDTO{ID: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt}
}

type teamDTO struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func newTeamDTO(t *store.Team) teamDTO {
	return teamDTO{ID: t.ID, Slug: t.Slug, Name: t.Name, CreatedAt: t.CreatedAt}
}

type projectDTO struct {
	ID          int64     `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Team        string    `json:"team,omitempty"` // team slug
	CreatedAt   time.Time `json:"created_at"`
}

type appDTO struct {
	ID          int64  `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Project     string `json:"project"`
	SourceURL   string `json:"source_url"`
	SourceKind  string `json:"source_kind"`
	// SCMRepo is the repository's full name on its connection's host, and
	// SCMWebhook whether a push webhook is registered there.
	SCMRepo      string `json:"scm_repo,omitempty"`
	SCMWebhook   bool   `json:"scm_webhook"`
	DeployBranch string `json:"deploy_branch"`
	ManifestPath string `json:"manifest_path"`
	TriggerMode  string `json:"trigger_mode"`
	PollInterval int    `json:"poll_interval_seconds"` // 0: the server's default
	Namespace    string `json:"namespace"`
	Status       string `json:"status"`
	StatusError  string `json:"status_error,omitempty"`
	// The app's image repository (<registry>/<org>/<app>) and what
	// onboarding found there ("no image pushed yet", "N tags"); empty
	// without a registry.
	RegistryRepository string     `json:"registry_repository"`
	RegistryStatus     string     `json:"registry_status"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	DeletedAt          *time.Time `json:"deleted_at,omitempty"`
}

func newAppDTO(a *store.App, project string) appDTO {
	return appDTO{ID: a.ID, Slug: a.Slug, Name: a.Name, Description: a.Description, Project: project,
		SourceURL: a.SourceURL, SourceKind: a.SourceKind, SCMRepo: a.SCMRepo, SCMWebhook: a.SCMHookID != "", DeployBranch: a.DeployBranch, ManifestPath: a.ManifestPath,
		TriggerMode: a.TriggerMode, PollInterval: int(a.PollInterval.Seconds()), Namespace: a.Namespace, Status: a.Status, StatusError: a.StatusError,
		RegistryRepository: a.Registry.Repository, RegistryStatus: a.Registry.Status,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, DeletedAt: a.DeletedAt}
}

type eventDTO struct {
	ID           int64     `json:"id"`
	App          string    `json:"app,omitempty"` // slug
	DeploymentID int64     `json:"deployment_id,omitempty"`
	Kind         string    `json:"kind"`
	Severity     string    `json:"severity"`
	Message      string    `json:"message"`
	Actor        string    `json:"actor"`
	CreatedAt    time.Time `json:"created_at"`
}

func newEventDTO(e *store.Event, app string) eventDTO {
	return eventDTO{ID: e.ID, App: app, DeploymentID: e.DeploymentID, Kind: e.Kind, Severity: e.Severity,
		Message: e.Message, Actor: e.Actor, CreatedAt: e.CreatedAt}
}

type bindingDTO struct {
	ID         int64      `json:"id"`
	User       userDTO    `json:"user"`
	Role       string     `json:"role"`
	ScopeLevel string     `json:"scope_level"`
	Scope      string     `json:"scope"` // org, team or app slug
	GrantedAt  time.Time  `json:"granted_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
}

type tokenDTO struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Last4      string     `json:"last4"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func newTokenDTO(t *store.APIToken) tokenDTO {
	return tokenDTO{ID: t.ID, Name: t.Name, Last4: t.Last4, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}
