#!/usr/bin/env bash
# Cross-builds StudioDesk for windows/amd64 on Debian (cgo through
# mingw-w64) and zips it with its read-me and licences:
#   dist/studiodesk-VERSION-windows-amd64.zip
#     studiodesk-VERSION-windows-amd64/studiodesk.exe, README.txt,
#     THIRD-PARTY-LICENSES.txt
# The icon, the manifest (DPI aware, visual styles) and the version resource
# come from go-winres, pinned in go.mod's tool directive.
# Environment: VERSION, BUILD (from FyneApp.toml), COMMIT, TAGS, DIST.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?}" "${BUILD:=1}" "${COMMIT:=}" "${TAGS:=migrated_fynedo}" "${DIST:=dist}"
CC=${CC:-x86_64-w64-mingw32-gcc}
command -v "$CC" >/dev/null || { echo "windows: $CC not found (Debian package gcc-mingw-w64-x86-64)"; exit 1; }
# Reproducible: file times are the commit's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
name=studiodesk-$VERSION-windows-amd64
stage=$DIST/$name
rm -rf "$stage" "$DIST/$name.zip"
mkdir -p "$stage"

# Resources: app/rsrc_windows_amd64.syso is linked by go build for windows
# only, and removed afterwards.
syso=app/rsrc_windows_amd64.syso
trap 'rm -f "$syso"' EXIT
go tool go-winres simply --arch amd64 --out app/rsrc --manifest gui \
	--icon assets/icons/icon.png \
	--product-name "StudioDesk 直播中控台" --file-description "StudioDesk 直播中控台" \
	--product-version "$VERSION" --file-version "$VERSION.$BUILD" \
	--original-filename studiodesk.exe --copyright "StudioDesk"

GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC="$CC" go build -trimpath \
	-tags "$TAGS,release" \
	-ldflags "-s -w -H=windowsgui -X studiodesk/app/ui.Version=$VERSION -X studiodesk/app/ui.Commit=$COMMIT" \
	-o "$stage/studiodesk.exe" ./app
sed 's/$/\r/' packaging/windows/README.txt >"$stage/README.txt"
bash packaging/licenses.sh windows amd64 "$TAGS" | sed 's/$/\r/' >"$stage/THIRD-PARTY-LICENSES.txt"
find "$stage" -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
(cd "$DIST" && find "$name" | LC_ALL=C sort | TZ=UTC zip -q -X -@ "$name.zip")
ls -l "$stage/studiodesk.exe" "$DIST/$name.zip"
