#!/usr/bin/env bash
# Writes the licence texts of every module linked into the app, for the
# given GOOS/GOARCH, to stdout: the project's font notices first, then each
# Go module's LICENSE/COPYING/NOTICE file from the module cache (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
goos=${1:-linux} goarch=${2:-amd64} tags=${3:-migrated_fynedo}
echo "StudioDesk — third-party licences (${goos}/${goarch})"
echo "=================================================="
echo
echo "## Droid Sans Fallback font (assets/fonts)"
echo
cat assets/fonts/DroidSansFallback-COPYRIGHT.txt
echo
echo "## EmojiOne Color glyphs in the studio font (assets/fonts)"
echo
cat assets/fonts/EmojiOneColor-LICENSE.txt
echo
# Go's own runtime and standard library.
echo "## Go standard library"
echo
cat "$(go env GOROOT)/LICENSE"
echo
GOOS=$goos GOARCH=$goarch CGO_ENABLED=1 go list -tags "$tags" -deps \
	-f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' ./app |
	sort -u | while read -r path version dir; do
		found=0
		for f in "$dir"/LICENSE* "$dir"/LICENCE* "$dir"/COPYING* "$dir"/NOTICE* "$dir"/license* "$dir"/License*; do
			[ -f "$f" ] || continue
			[ $found = 1 ] || { echo "## $path $version"; echo; }
			found=1
			cat "$f"
			echo
		done
		if [ $found = 0 ]; then
			echo "## $path $version"
			echo
			echo "(no licence file in the module source)"
			echo
		fi
	done
