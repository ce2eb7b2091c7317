package main

import (
	"maps"
	"os"
	"strings"
	"testing"
)

func TestServiceAccountAnnotationsFlag(t *testing.T) {
	t.Setenv("ASTROLIFT_SERVICE_ACCOUNT_ANNOTATIONS", "")
	c, _, err := parseFlags("serve", []string{"--service-account-annotations",
		"iam.gke.io/gcp-service-account=shop@p.iam.gserviceaccount.com, eks.amazonaws.com/role-arn=arn:aws:iam::1:role/a=b,"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"iam.gke.io/gcp-service-account": "shop@p.iam.gserviceaccount.com", "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/a=b"}
	if !maps.Equal(c.ServiceAccountAnnotations, want) {
		t.Errorf("annotations %v, want %v", c.ServiceAccountAnnotations, want)
	}

	// The environment gives the default; the flag wins.
	t.Setenv("ASTROLIFT_SERVICE_ACCOUNT_ANNOTATIONS", "azure.workload.identity/client-id=123")
	if c, _, err = parseFlags("dev", nil); err != nil || c.ServiceAccountAnnotations["azure.workload.identity/client-id"] != "123" {
		t.Errorf("from env: %v, %v", c.ServiceAccountAnnotations, err)
	}
	if c, _, err = parseFlags("dev", []string{"--service-account-annotations", "a=1"}); err != nil || !maps.Equal(c.ServiceAccountAnnotations, map[string]string{"a": "1"}) {
		t.Errorf("flag over env: %v, %v", c.ServiceAccountAnnotations, err)
	}

	// Bad keys name the flag (or the variable) and the key.
	for _, bad := range []string{"bad key=x", "iam.gke.io/=x", "-lead=x", "a=1,a=2", "novalue"} {
		_, _, err := parseFlags("serve", []string{"--service-account-annotations", bad})
		if err == nil || !strings.Contains(err.Error(), "service-account-annotations") {
			t.Errorf("%q: error %v, want one naming the flag", bad, err)
			continue
		}
		key, _, _ := strings.Cut(bad, "=")
		if !strings.Contains(err.Error(), key) {
			t.Errorf("%q: error %v does not name the key", bad, err)
		}
	}
	t.Setenv("ASTROLIFT_SERVICE_ACCOUNT_ANNOTATIONS", "Not Valid=1")
	if _, _, err := parseFlags("serve", nil); err == nil || !strings.Contains(err.Error(), "ASTROLIFT_SERVICE_ACCOUNT_ANNOTATIONS") || !strings.Contains(err.Error(), `"Not Valid"`) {
		t.Errorf("bad env: %v", err)
	}
}

func TestRegistryFlags(t *testing.T) {
	for _, v := range []string{"ASTROLIFT_REGISTRY", "ASTROLIFT_REGISTRY_INSECURE"} {
		t.Setenv(v, "") // restored after the test
		if err := os.Unsetenv(v); err != nil {
			t.Fatal(err)
		}
	}
	c, _, err := parseFlags("serve", nil)
	if err != nil || c.registry != nil {
		t.Fatalf("no registry: %+v, %v", c.registry, err)
	}
	c, _, err = parseFlags("serve", []string{"--registry", "localhost:5000/platform/", "--registry-insecure"})
	if err != nil || c.registry == nil || c.registry.Host != "localhost:5000/platform" || !c.registry.Insecure {
		t.Fatalf("--registry: %+v, %v", c.registry, err)
	}
	if got := c.registry.Repository("acme", "shop"); got != "localhost:5000/platform/acme/shop" {
		t.Errorf("repository %s", got)
	}
	t.Setenv("ASTROLIFT_REGISTRY", "registry.example.com")
	t.Setenv("ASTROLIFT_REGISTRY_INSECURE", "false")
	if c, _, err = parseFlags("serve", nil); err != nil || c.registry == nil || c.registry.Host != "registry.example.com" || c.registry.Insecure {
		t.Errorf("from env: %+v, %v", c.registry, err)
	}
	for _, bad := range []string{"https://registry.example.com", "registry.example.com/Upper"} {
		if _, _, err := parseFlags("serve", []string{"--registry", bad}); err == nil || !strings.Contains(err.Error(), "--registry") {
			t.Errorf("--registry %s: %v", bad, err)
		}
	}
}

func TestWebhookAllowPrivateFlag(t *testing.T) {
	t.Setenv("ASTROLIFT_WEBHOOK_ALLOW_PRIVATE", "")
	if err := os.Unsetenv("ASTROLIFT_WEBHOOK_ALLOW_PRIVATE"); err != nil {
		t.Fatal(err)
	}
	if c, _, err := parseFlags("serve", nil); err != nil || c.WebhookAllowPrivate {
		t.Fatalf("default: %v, %v; want private targets refused", c.WebhookAllowPrivate, err)
	}
	if c, _, err := parseFlags("serve", []string{"--webhook-allow-private"}); err != nil || !c.WebhookAllowPrivate {
		t.Errorf("--webhook-allow-private: %v, %v", c.WebhookAllowPrivate, err)
	}
	t.Setenv("ASTROLIFT_WEBHOOK_ALLOW_PRIVATE", "true")
	if c, _, err := parseFlags("serve", nil); err != nil || !c.WebhookAllowPrivate {
		t.Errorf("from env: %v, %v", c.WebhookAllowPrivate, err)
	}
	t.Setenv("ASTROLIFT_WEBHOOK_ALLOW_PRIVATE", "maybe")
	if _, _, err := parseFlags("serve", nil); err == nil || !strings.Contains(err.Error(), "ASTROLIFT_WEBHOOK_ALLOW_PRIVATE") {
		t.Errorf("bad env: %v", err)
	}
}

func TestScreenshotFlags(t *testing.T) {
	for _, name := range []string{"ASTROLIFT_SCREENSHOT_BROWSER", "ASTROLIFT_SCREENSHOT_ALLOW_PRIVATE"} {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	if c, _, err := parseFlags("serve", nil); err != nil || c.ScreenshotBrowser != "" || c.ScreenshotAllowPrivate {
		t.Fatalf("defaults: %q, %v, %v; want a browser looked up on PATH and private targets refused", c.ScreenshotBrowser, c.ScreenshotAllowPrivate, err)
	}
	if c, _, err := parseFlags("serve", []string{"--screenshot-browser", "off", "--screenshot-allow-private"}); err != nil ||
		c.ScreenshotBrowser != "off" || !c.ScreenshotAllowPrivate {
		t.Errorf("flags: %q, %v, %v", c.ScreenshotBrowser, c.ScreenshotAllowPrivate, err)
	}
	t.Setenv("ASTROLIFT_SCREENSHOT_BROWSER", "/opt/chrome/chrome")
	t.Setenv("ASTROLIFT_SCREENSHOT_ALLOW_PRIVATE", "true")
	if c, _, err := parseFlags("serve", nil); err != nil || c.ScreenshotBrowser != "/opt/chrome/chrome" || !c.ScreenshotAllowPrivate {
		t.Errorf("from env: %q, %v, %v", c.ScreenshotBrowser, c.ScreenshotAllowPrivate, err)
	}
}
