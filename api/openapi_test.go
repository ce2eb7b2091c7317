package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/api"
)

// The OpenAPI document lists exactly the routes the router serves under
// /api/v1, with the permission each needs.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := newHarness(t)
	res := h.do(request{method: http.MethodGet, path: "/api/v1/openapi.json"})
	if res.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json without auth: %d", res.Code)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
		Comps   struct{ Schemas map[string]any }     `json:"components"`
	}
	res.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	inDoc := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			inDoc[strings.ToUpper(method)+" "+path] = true
			if op["summary"] == "" || op["responses"] == nil {
				t.Errorf("%s %s: no summary or responses", method, path)
			}
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, r := range api.New(api.Options{Store: h.s, Logger: quiet()}).Routes() {
		key := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
		served[key] = true
		if !inDoc[key] {
			t.Errorf("%s is served but missing from the OpenAPI document", key)
		}
	}
	// And the gin router serves exactly the table: nothing registered aside.
	engineRoutes := registeredRoutes(t, h)
	for key := range engineRoutes {
		if !served[key] {
			t.Errorf("%s is registered on the router but not in Routes()", key)
		}
	}
	for key := range inDoc {
		if !served[key] {
			t.Errorf("%s is documented but not served", key)
		}
	}
	// Every $ref resolves.
	raw := string(res.body)
	for _, m := range regexp.MustCompile(`#/components/schemas/([A-Za-z0-9_]+)`).FindAllStringSubmatch(raw, -1) {
		if _, ok := doc.Comps.Schemas[m[1]]; !ok {
			t.Errorf("dangling $ref %s", m[0])
		}
	}
}

// registeredRoutes lists what the gin engine actually serves under /api/v1.
func registeredRoutes(t *testing.T, h *harness) map[string]bool {
	t.Helper()
	engine, ok := api.New(api.Options{Store: h.s, Logger: quiet()}).Handler().(*gin.Engine)
	if !ok {
		t.Fatal("Handler() is not a *gin.Engine")
	}
	out := map[string]bool{}
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range engine.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			out[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d routes registered", len(out))
	}
	return out
}
