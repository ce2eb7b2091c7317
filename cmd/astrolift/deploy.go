package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ciRun is what a CI system tells about the run that deploys.
type ciRun struct {
	Commit, Branch, RunURL string
}

// detectCI reads the commit, branch and run URL from the variables of
// GitHub Actions and Gitea Actions, GitLab CI and Bitbucket Pipelines.
func detectCI(getenv func(string) string) ciRun {
	switch {
	case getenv("GITHUB_SHA") != "" || getenv("GITHUB_RUN_ID") != "": // GitHub and Gitea Actions
		r := ciRun{Commit: getenv("GITHUB_SHA"), Branch: getenv("GITHUB_REF_NAME")}
		server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
		if server != "" && repo != "" && id != "" {
			r.RunURL = strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + id
		}
		return r
	case getenv("GITLAB_CI") != "" || getenv("CI_COMMIT_SHA") != "":
		return ciRun{Commit: getenv("CI_COMMIT_SHA"), Branch: getenv("CI_COMMIT_REF_NAME"), RunURL: getenv("CI_JOB_URL")}
	case getenv("BITBUCKET_COMMIT") != "" || getenv("BITBUCKET_BUILD_NUMBER") != "":
		r := ciRun{Commit: getenv("BITBUCKET_COMMIT"), Branch: getenv("BITBUCKET_BRANCH")}
		if origin, n := getenv("BITBUCKET_GIT_HTTP_ORIGIN"), getenv("BITBUCKET_BUILD_NUMBER"); origin != "" && n != "" {
			r.RunURL = strings.TrimRight(origin, "/") + "/pipelines/results/" + n
		}
		return r
	}
	return ciRun{}
}

// deploymentView is the part of the API's deployment detail the CLI shows.
type deploymentView struct {
	ID              int64    `json:"id"`
	App             string   `json:"app"`
	Environment     string   `json:"environment"`
	Trigger         string   `json:"trigger"`
	Status          string   `json:"status"`
	Image           string   `json:"image"`
	ImageDigest     string   `json:"image_digest"`
	Error           string   `json:"error"`
	DurationSeconds *float64 `json:"duration_seconds"`
	Lifecycle       []struct {
		To     string    `json:"to"`
		Detail string    `json:"detail"`
		At     time.Time `json:"at"`
	} `json:"lifecycle"`
}

func finalState(s string) bool { return s == "succeeded" || s == "failed" || s == "aborted" }

// runDeploy implements `astrolift deploy`: it queues a deployment of an
// image (optionally pinned to a digest) with the CI run's commit, branch
// and URL, then follows it, printing each lifecycle state, and fails
// unless it succeeds.
func runDeploy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.String("app", "", "app slug (required)")
	env := fs.String("env", "", "environment name (required)")
	image := fs.String("image", "", "image: a tag, or a full reference (required)")
	digest := fs.String("digest", "", "pin the image to this digest (sha256:…); the deployer runs repository@digest")
	server := fs.String("server", getenv("ASTROLIFT_SERVER"), "Astrolift URL ($ASTROLIFT_SERVER)")
	token := fs.String("token", getenv("ASTROLIFT_DEPLOY_TOKEN"), "deploy token aldt_… ($ASTROLIFT_DEPLOY_TOKEN); default: the login's API token")
	noWait := fs.Bool("no-wait", false, "queue the deployment and exit without following it")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up following after this long")
	interval := fs.Duration("interval", 2*time.Second, "how often to poll the deployment")
	ci := detectCI(getenv)
	fs.StringVar(&ci.Commit, "commit", ci.Commit, "commit the image was built from (default from the CI variables)")
	fs.StringVar(&ci.Branch, "branch", ci.Branch, "branch of the CI run (default from the CI variables)")
	fs.StringVar(&ci.RunURL, "run-url", ci.RunURL, "URL of the CI run (default from the CI variables)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for name, v := range map[string]string{"--app": *app, "--env": *env, "--image": *image} {
		if v == "" {
			fmt.Fprintf(stderr, "astrolift deploy: %s is required\n", name)
			fs.Usage()
			return exitCode(2)
		}
	}
	c := &client{server: *server, token: *token, http: &http.Client{Timeout: 60 * time.Second}}
	if c.token == "" || c.server == "" { // a person deploying: the stored login
		creds, err := loadCredentials()
		if err != nil {
			return fmt.Errorf("no deploy token (--token or $ASTROLIFT_DEPLOY_TOKEN) and %w", err)
		}
		if c.server == "" {
			c.server = creds.Server
		}
		if c.token == "" {
			c.token = creds.Token
		}
	}
	if _, err := url.ParseRequestURI(c.server); err != nil {
		return fmt.Errorf("--server %q: %w", c.server, err)
	}

	var d deploymentView
	err := c.do(http.MethodPost, "/api/v1/apps/"+url.PathEscape(*app)+"/deploy", map[string]string{
		"environment": *env, "image": *image, "image_digest": *digest,
		"commit": ci.Commit, "branch": ci.Branch, "run_url": ci.RunURL}, &d)
	if err != nil {
		return fmt.Errorf("deploy %s to %s: %w", *app, *env, err)
	}
	ref := *image
	if *digest != "" {
		ref += " @ " + *digest
	}
	fmt.Fprintf(stdout, "Deployment %d of %s to %s queued (trigger %s, image %s)\n", d.ID, *app, *env, d.Trigger, ref)
	if *noWait {
		return nil
	}
	return follow(ctx, c, d.ID, *interval, *timeout, stdout)
}

// follow polls a deployment until it ends, printing each new lifecycle
// state; it fails unless the deployment succeeded.
func follow(ctx context.Context, c *client, id int64, interval, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	shown := 0
	for {
		var d deploymentView
		if err := c.do(http.MethodGet, fmt.Sprintf("/api/v1/deployments/%d", id), nil, &d); err != nil {
			var ae *apiError
			if errors.As(err, &ae) && ae.Status < 500 {
				return fmt.Errorf("follow deployment %d: %w", id, err)
			}
			fmt.Fprintf(stdout, "  (%v; retrying)\n", err) // a restarting server: keep following
		}
		for ; shown < len(d.Lifecycle); shown++ {
			t := d.Lifecycle[shown]
			line := fmt.Sprintf("  %s  %-17s", t.At.UTC().Format("15:04:05"), t.To)
			if t.Detail != "" {
				line += " " + t.Detail
			}
			fmt.Fprintln(stdout, strings.TrimRight(line, " "))
		}
		if finalState(d.Status) {
			took := ""
			if d.DurationSeconds != nil {
				took = fmt.Sprintf(" in %.1fs", *d.DurationSeconds)
			}
			if d.Status != "succeeded" {
				msg := fmt.Sprintf("deployment %d %s%s", id, d.Status, took)
				if d.Error != "" {
					msg += ": " + d.Error
				}
				return errors.New(msg)
			}
			fmt.Fprintf(stdout, "Deployment %d succeeded%s\n", id, took)
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("deployment %d still %s after %s (it goes on; see GET /api/v1/deployments/%d)", id, d.Status, timeout, id)
			}
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
