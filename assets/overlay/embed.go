// Package overlayassets embeds the overlay pages served to OBS browser
// sources: static HTML, one stylesheet and the scripts that render pushed
// JSON. Viewer text is only ever set with textContent.
package overlayassets

import "embed"

// FS holds the pages, scripts and stylesheet, at the top level.
//
//go:embed *.html *.js *.css
var FS embed.FS
