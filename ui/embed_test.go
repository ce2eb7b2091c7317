package ui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/astrolift/astrolift/ui"
)

func TestHandlerServesTheSPA(t *testing.T) {
	files := fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html><div id=root></div>")},
		"assets/index-abc.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc.css": {Data: []byte("body{}")},
		"favicon.svg":          {Data: []byte("<svg/>")},
	}
	h := ui.Handler(files)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	for _, tc := range []struct {
		path, body, cache, ctype string
		code                     int
	}{
		{"/", "<div id=root>", "no-cache", "text/html", 200},
		{"/apps/shop/config", "<div id=root>", "no-cache", "text/html", 200}, // a client-side route
		{"/assets/index-abc.js", "console.log(1)", "public, max-age=31536000, immutable", "javascript", 200},
		{"/assets/index-abc.css", "body{}", "public, max-age=31536000, immutable", "text/css", 200},
		{"/favicon.svg", "<svg/>", "no-cache", "image/svg+xml", 200},
		{"/assets/gone-123.js", "404 page not found", "", "text/plain", 404}, // a missing file is not a page
	} {
		rec := get(tc.path)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) ||
			rec.Header().Get("Cache-Control") != tc.cache || !strings.Contains(rec.Header().Get("Content-Type"), tc.ctype) {
			t.Errorf("GET %s: %d %q cache %q type %q; want %d %q cache %q type %q", tc.path, rec.Code, rec.Body.String(),
				rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"), tc.code, tc.body, tc.cache, tc.ctype)
		}
	}
}

func TestHandlerWithoutABuild(t *testing.T) {
	rec := httptest.NewRecorder()
	ui.Handler(fstest.MapFS{".gitkeep": {}}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/apps", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make build") {
		t.Fatalf("got %d %q; want 503 naming make build", rec.Code, rec.Body.String())
	}
}
