package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
)

type appRow struct {
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	Project      string `json:"project"`
	Status       string `json:"status"`
	StatusError  string `json:"status_error"`
	TriggerMode  string `json:"trigger_mode"`
	SourceURL    string `json:"source_url"`
	DeployBranch string `json:"deploy_branch"`
	ManifestPath string `json:"manifest_path"`
}

// runApps implements `astrolift apps list|create|show`.
func runApps(args []string, stdout, stderr io.Writer) error {
	usage := "Usage: astrolift apps list [--project P] [--query Q] | create --project P --name N --repo URL [flags] | show SLUG\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		return appsList(c, args[1:], stdout, stderr)
	case "create":
		return appsCreate(c, args[1:], stdout, stderr)
	case "show":
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return exitCode(2)
		}
		return appsShow(c, args[1], stdout)
	}
	fmt.Fprint(stderr, usage)
	return exitCode(2)
}

func appsList(c *client, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apps list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	project := fs.String("project", "", "only apps of this project")
	query := fs.String("query", "", "only apps whose slug or name contains this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tPROJECT\tSTATUS\tTRIGGER\tSOURCE")
	cursor := ""
	for {
		q := url.Values{"limit": {"200"}}
		if *project != "" {
			q.Set("project", *project)
		}
		if *query != "" {
			q.Set("q", *query)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items      []appRow `json:"items"`
			NextCursor string   `json:"next_cursor"`
		}
		if err := c.do(http.MethodGet, "/api/v1/apps?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		for _, a := range page.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Slug, a.Name, a.Project, a.Status, a.TriggerMode, a.SourceURL)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return tw.Flush()
}

func appsCreate(c *client, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apps create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	body := map[string]*string{
		"project":       fs.String("project", "", "project slug (required)"),
		"name":          fs.String("name", "", "display name (required)"),
		"slug":          fs.String("slug", "", "slug (default: made from the name; cannot change later)"),
		"source_url":    fs.String("repo", "", "clone URL of the repository (required)"),
		"manifest_path": fs.String("manifest-path", "", "path of astrolift.toml in the repository (default astrolift.toml)"),
		"deploy_branch": fs.String("branch", "", "deploy branch (default main)"),
		"trigger_mode":  fs.String("trigger", "", "push, manual or ci (default push)"),
		"description":   fs.String("description", "", "description"),
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	req := map[string]string{}
	for k, v := range body {
		if *v != "" {
			req[k] = *v
		}
	}
	var a appRow
	if err := c.do(http.MethodPost, "/api/v1/apps", req, &a); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "App %s registered in project %s (status %s)\n", a.Slug, a.Project, a.Status)
	return nil
}

func appsShow(c *client, slug string, stdout io.Writer) error {
	var ov struct {
		App          appRow `json:"app"`
		Provisioning struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"provisioning"`
		Workloads struct {
			Count    int    `json:"count"`
			Replicas int    `json:"replicas"`
			Note     string `json:"note"`
		} `json:"workloads"`
		Trigger struct {
			Mode      string `json:"mode"`
			Namespace string `json:"namespace"`
		} `json:"trigger"`
	}
	if err := c.do(http.MethodGet, "/api/v1/apps/"+url.PathEscape(slug)+"/overview", nil, &ov); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Slug:\t%s\nName:\t%s\nProject:\t%s\n", ov.App.Slug, ov.App.Name, ov.App.Project)
	status := ov.Provisioning.Status
	if ov.Provisioning.Error != "" {
		status += " (" + ov.Provisioning.Error + ")"
	}
	fmt.Fprintf(tw, "Status:\t%s\n", status)
	fmt.Fprintf(tw, "Source:\t%s @ %s, %s\n", ov.App.SourceURL, ov.App.DeployBranch, ov.App.ManifestPath)
	workloads := fmt.Sprintf("%d (%d replicas)", ov.Workloads.Count, ov.Workloads.Replicas)
	if ov.Workloads.Note != "" {
		workloads = ov.Workloads.Note
	}
	fmt.Fprintf(tw, "Workloads:\t%s\nTrigger:\t%s\n", workloads, ov.Trigger.Mode)
	if ov.Trigger.Namespace != "" {
		fmt.Fprintf(tw, "Namespace:\t%s\n", ov.Trigger.Namespace)
	}
	return tw.Flush()
}
