// Package render owns the astrolift.toml manifest, schema version 1: strict
// parsing with "file:line:col: key.path: message" errors, validation,
// per-environment overlays, rendering to Kubernetes objects, deterministic
// YAML, format-preserving edits of env tables, and sealing of secret values.
//
// It is pure: bytes in, objects out, no I/O. The config editor's preview and
// the deployer call the same functions:
//
//	m, err := render.Parse("astrolift.toml", raw) // err is a render.ErrorList
//	objs, err := render.Render(m, render.Input{App: "shop", Environment: "staging", Image: "v1.4.2"})
//	out, err := render.YAML(objs)
//
// Preview is Render with Secret data masked. SetEnv and DeleteEnv change one
// env key in the manifest text and keep everything else byte for byte. Seal
// encrypts a value to the platform's age recipient as "sealed:v1:<base64>";
// only Open with the platform identity reads it back.
//
// docs/manifest.md documents every key; keep it in step with schema.go.
package render
