// Package examples holds example app repositories. `astrolift dev` commits
// shop/ into a local bare repository, serves it over smart HTTP and
// registers it as the demo app, so the dashboard opens on a living app.
package examples

import "embed"

// Shop is the demo app's repository content (its astrolift.toml and README).
//
//go:embed shop
var Shop embed.FS
