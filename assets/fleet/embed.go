// Package fleetassets embeds the agency overview page the fleet hub
// serves (app/fleet/overview).
package fleetassets

import "embed"

// FS holds index.html (a template), overview.js and overview.css.
//
//go:embed index.html overview.js overview.css
var FS embed.FS
