package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// OpenAPI builds the OpenAPI 3 document of the API from the route table:
// one operation per route, its permission as x-permission, path parameters,
// and JSON schemas reflected from the request and response types.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range a.Routes() {
		path, params := openAPIPath(rt.Path)
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": strings.ToLower(rt.Method) + operationName(rt.Path),
			"responses":   map[string]any{},
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Permission == "" {
			op["security"] = []any{}
		} else {
			op["x-permission"] = string(rt.Permission)
		}
		if rt.in != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.in))},
			}}
		}
		responses := op["responses"].(map[string]any)
		switch {
		case rt.out != nil:
			status := "200"
			switch {
			case rt.Path == "/api/v1/hooks/:kind/:connection":
				status = "202"
			case rt.Method == http.MethodPost && rt.Path != "/api/v1/auth/login":
				status = "201"
			}
			responses[status] = map[string]any{"description": "OK", "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.out))},
			}}
		case rt.Path == "/api/v1/openapi.json":
			responses["200"] = map[string]any{"description": "this document"}
		case rt.Path == "/api/v1/apps/:slug/screenshot":
			responses["200"] = map[string]any{"description": "the PNG (Cache-Control: private, max-age=300; ETag; Last-Modified)",
				"content": map[string]any{"image/png": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
			responses["304"] = map[string]any{"description": "not modified (If-None-Match / If-Modified-Since)"}
		case rt.Path == "/api/v1/apps/:slug/config/refresh":
			responses["202"] = map[string]any{"description": "a check is on its way"}
		default:
			responses["204"] = map[string]any{"description": "done"}
		}
		responses["default"] = map[string]any{"description": "an error", "content": map[string]any{
			"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(ErrorBody{}))},
		}}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "Astrolift API",
			"version": "v1",
			"description": "Authenticate with the session cookie from POST /api/v1/auth/login (state-changing requests " +
				"then need the X-CSRF-Token header) or with Authorization: Bearer <API token>. Every operation names " +
				"the permission it needs in x-permission. Errors are {\"error\":{\"code\",\"message\",\"field\"}}.",
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
		},
	}
}

var (
	openAPIOnce sync.Once
	openAPIDoc  map[string]any
)

func (a *API) openapi(c *gin.Context) {
	openAPIOnce.Do(func() { openAPIDoc = a.OpenAPI() })
	c.JSON(http.StatusOK, openAPIDoc)
}

var paramRE = regexp.MustCompile(`:([a-z_]+)`)

// openAPIPath turns /apps/:slug into /apps/{slug} and lists its parameters.
func openAPIPath(p string) (string, []any) {
	var params []any
	for _, m := range paramRE.FindAllStringSubmatch(p, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	return paramRE.ReplaceAllString(p, "{$1}"), params
}

func operationName(p string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(p, "/api/v1/"), "/") {
		part = strings.TrimPrefix(part, ":")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '.' || r == '_' || r == '-' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// schemaGen reflects Go types into OpenAPI schemas; named structs become
// components referenced by $ref.
type schemaGen struct {
	components map[string]any
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	genericRE = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := g.schema(t.Elem())
		if _, ref := s["$ref"]; ref {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := strings.Trim(genericRE.ReplaceAllString(t.Name(), "_"), "_")
		if _, done := g.components[name]; !done {
			g.components[name] = map[string]any{} // breaks recursion
			g.components[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var allOf []any
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		// An embedded struct's fields are promoted into the JSON object
		// whether or not its type is exported (encoding/json does the same).
		if f.Anonymous && tag == "" {
			allOf = append(allOf, g.schema(f.Type))
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if typ := f.Tag.Get("openapi"); typ != "" { // a json.RawMessage with a known type
			props[name] = map[string]any{"type": typ, "nullable": true}
		} else {
			props[name] = g.schema(f.Type)
		}
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	obj := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		obj["required"] = required
	}
	if len(allOf) > 0 {
		return map[string]any{"allOf": append(allOf, obj)}
	}
	return obj
}
