#!/usr/bin/env bash
# Builds the Linux packages of StudioDesk for amd64:
#   dist/studiodesk-VERSION-linux-amd64.tar.gz  bin/, share/ and a Makefile
#       (`sudo make install` puts studiodesk under /usr/local)
#   dist/studiodesk_VERSION-BUILD_amd64.deb     /usr/bin/studiodesk and the
#       launcher, for `sudo apt install ./studiodesk_….deb`
# Both carry the launcher packaging/linux/com.studiodesk.desk.desktop (the
# file name is the app ID, which Wayland compositors match; StartupWMClass
# is the X11 WM_CLASS the app's windows are created with).
# Environment: VERSION, BUILD (from FyneApp.toml), COMMIT, TAGS, DIST.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?}" "${BUILD:=1}" "${COMMIT:=}" "${TAGS:=migrated_fynedo}" "${DIST:=dist}"
id=com.studiodesk.desk
# Reproducible: file times are the commit's, so two builds of one commit
# give the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
desktop=packaging/linux/$id.desktop
desktop-file-validate "$desktop"
mkdir -p "$DIST"
bin=$DIST/studiodesk-linux-amd64
GOOS=linux GOARCH=amd64 CGO_ENABLED=1 go build -trimpath \
	-tags "$TAGS,release" \
	-ldflags "-s -w -X studiodesk/app/ui.Version=$VERSION -X studiodesk/app/ui.Commit=$COMMIT" \
	-o "$bin" ./app
licences=$(mktemp)
trap 'rm -f "$licences"' EXIT
bash packaging/licenses.sh linux amd64 "$TAGS" >"$licences"

# lay out PREFIX ($2) under a root ($1)
layout() {
	install -Dm755 "$bin" "$1$2/bin/studiodesk"
	install -Dm644 "$desktop" "$1$2/share/applications/$id.desktop"
	install -Dm644 assets/icons/icon.png "$1$2/share/icons/hicolor/256x256/apps/$id.png"
	install -Dm644 "$licences" "$1$2/share/doc/studiodesk/THIRD-PARTY-LICENSES.txt"
}

# The tarball.
name=studiodesk-$VERSION-linux-amd64
tdir=$DIST/$name
rm -rf "$tdir"
layout "$tdir" ""
install -m644 packaging/linux/Makefile "$tdir/Makefile"
# gzip, not xz: a tenth of the time for a quarter more bytes.
tar -C "$DIST" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@"$SOURCE_DATE_EPOCH" -cf - "$name" |
	gzip -n >"$DIST/$name.tar.gz"

# The .deb: it depends on the Debian packages that hold the shared
# libraries the binary names (GL, Wayland) and on the X11 libraries GLFW
# loads at run time; oto loads ALSA at run time, and without it the desk
# gives visual cues only, so ALSA is recommended.
deb=$DIST/deb
rm -rf "$deb"
layout "$deb" /usr
mkdir -p "$deb/DEBIAN"
depends=$(objdump -p "$bin" | awk '/NEEDED/{print $2}' | while read -r soname; do
	lib=$(ldd "$bin" | awk -v s="$soname" '$1 == s {print $3}')
	[ -n "$lib" ] || { echo "package: $soname not found on this machine" >&2; exit 1; }
	dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
		dpkg -S "${lib#/usr}" 2>/dev/null || { echo "package: no Debian package holds $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u | grep -v '^libc6$' | paste -sd, | sed 's/,/, /g')
cat >"$deb/DEBIAN/control" <<CONTROL
Package: studiodesk
Version: $VERSION-$BUILD
Architecture: amd64
Maintainer: StudioDesk <studiodesk@localhost>
Depends: libc6, $depends, libx11-6, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1
Recommends: libasound2 | libasound2t64
Section: video
Priority: optional
Installed-Size: $(du -sk --apparent-size "$deb/usr" | cut -f1)
Description: live-commerce studio control desk (直播中控台)
 Runs a live-commerce show's script on the clock, cues the host, recalls
 scene presets across cameras, lights and OBS, and cleans the danmaku.
 Works offline in rehearsal mode against simulated devices.
CONTROL
find "$deb" -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zgzip --build "$deb" "$DIST/studiodesk_${VERSION}-${BUILD}_amd64.deb" >/dev/null
rm -rf "$deb"
ls -l "$bin" "$DIST/$name.tar.gz" "$DIST/studiodesk_${VERSION}-${BUILD}_amd64.deb"
