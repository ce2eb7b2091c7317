package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Files is the built dashboard (dist/ without its prefix).
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	return sub
}

// Built reports whether the binary embeds a built dashboard.
func Built(files fs.FS) bool {
	_, err := fs.Stat(files, "index.html")
	return err == nil
}

// Handler serves the dashboard from files: hashed assets with a year-long
// immutable cache, index.html (never cached) for every other path that
// names no file, so the client-side router handles it.
func Handler(files fs.FS) http.Handler {
	if !Built(files) {
		return http.HandlerFunc(notBuilt)
	}
	static := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "no-cache")
				}
				static.ServeHTTP(w, r)
				return
			}
			if path.Ext(name) != "" { // a missing file, not a page
				http.NotFound(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFileFS(w, r, files, "index.html")
	})
}

// DevProxy forwards every dashboard request to a Vite dev server (npm run
// dev in ui/), for working on the dashboard with hot reload.
func DevProxy(vite *url.URL) http.Handler {
	return httputil.NewSingleHostReverseProxy(vite)
}

func notBuilt(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`<!doctype html><title>Astrolift</title><h1>The dashboard is not built</h1>` +
		`<p>This binary was built without the dashboard. Run <code>make build</code> (it runs <code>npm ci</code> and ` +
		`<code>npm run build</code> in <code>ui/</code>), or use the JSON API under <code>/api/v1</code>.</p>`))
}
