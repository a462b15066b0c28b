#!/usr/bin/env bash
# Smoke test of the Windows build under Debian's wine and Xvfb (not part of
# CI): starts studiodesk.exe on an empty data folder (a first run), takes a
# screenshot, then exports and verifies the show log of a 20× rehearsal
# with the exe's own `export` and `verify`, and checks that a second desk
# on the same data is refused.
#   DIST/studiodesk-VERSION-windows-amd64/studiodesk.exe  (make windows)
#   DIST/windows-smoke.png
# Environment: VERSION, DIST, SMOKE_DISPLAY (default :98).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?}" "${DIST:=dist}" "${SMOKE_DISPLAY:=:98}"
exe=$PWD/$DIST/studiodesk-$VERSION-windows-amd64/studiodesk.exe
[ -f "$exe" ] || { echo "smoke: $exe missing (make windows)"; exit 1; }
command -v wine >/dev/null || { echo "smoke: wine not installed (apt-get install wine wine64)"; exit 1; }
work=$(mktemp -d)
export WINEPREFIX=$work/prefix WINEDEBUG=-all DISPLAY=$SMOKE_DISPLAY WINEDLLOVERRIDES="bcryptprimitives=n,b"
Xvfb "$SMOKE_DISPLAY" -screen 0 1366x768x24 >/dev/null 2>&1 & xpid=$!
cleanup() {
	wineserver -k 2>/dev/null || true
	kill $xpid 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
sleep 1
wine wineboot --init >/dev/null 2>&1 || true
# Go 1.22+ needs bcryptprimitives.dll's ProcessPrng, which wine 8 lacks: a
# stand-in forwarding to RtlGenRandom goes into the test prefix only.
sys32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
	cat >"$work/bcp.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
C
	x86_64-w64-mingw32-gcc -shared -O2 -o "$sys32/bcryptprimitives.dll" "$work/bcp.c" -ladvapi32
	echo "smoke: wine lacks bcryptprimitives.dll; using a test stand-in"
fi

fail=0
# 1. First run (no data in %AppData%\studiodesk), then a screenshot.
wine "$exe" >"$work/gui.log" 2>&1 & gpid=$!
sleep 25
import -window root "$DIST/windows-smoke.png"
db=$(find "$WINEPREFIX/drive_c/users" -path '*/AppData/Roaming/studiodesk/desk.db' | head -1)
if [ -n "$db" ]; then echo "smoke: first run created %AppData%\\studiodesk\\desk.db"; else echo "smoke: FAIL no desk.db under %AppData%\\studiodesk"; fail=1; fi
# 2. A second desk on the same data is refused.
if out=$(timeout 60 wine "$exe" 2>&1); then
	echo "smoke: FAIL a second desk started"; fail=1
elif grep -q "in use by another StudioDesk" <<<"$out"; then
	echo "smoke: second desk refused: $(grep 'in use' <<<"$out")"
else
	echo "smoke: FAIL second desk: $out"; fail=1
fi
kill $gpid 2>/dev/null; wait $gpid 2>/dev/null || true
wineserver -k 2>/dev/null || true
# 3. A 20x rehearsal, then export and verify with the exe.
wine "$exe" --data 'C:\smoke' --demo-run --speed 20 >/dev/null 2>&1 & gpid=$!
sleep 25
kill $gpid 2>/dev/null; wait $gpid 2>/dev/null || true
wineserver -k 2>/dev/null || true
run=$(wine "$exe" shows --data 'C:\smoke' 2>/dev/null | tr -d '\r' | awk '$1 ~ /@/ {print $1; exit}')
if [ -z "$run" ]; then
	echo "smoke: FAIL no run recorded"; fail=1
else
	wine "$exe" export --data 'C:\smoke' "$run" --out 'C:\show.jsonl' 2>&1 | tr -d '\r'
	if wine "$exe" verify --file 'C:\show.jsonl' 2>&1 | tr -d '\r' | tee "$work/verify.out" | grep -q '^OK'; then
		cat "$work/verify.out"
	else
		cat "$work/verify.out"; echo "smoke: FAIL verify"; fail=1
	fi
fi
echo "smoke: screenshot $DIST/windows-smoke.png"
[ $fail = 0 ] && echo "smoke: ok"
exit $fail
