// Package remoteassets embeds the browser remote served at /remote.
package remoteassets

import "embed"

// FS holds index.html, remote.js and remote.css.
//
//go:embed index.html remote.js remote.css
var FS embed.FS
