# StudioDesk — build, run, test. `make run` and `make test` install what is
# missing on a fresh Debian machine (sudo only when not root).
GO      ?= go
TAGS    := migrated_fynedo
# The shipped binary leaves out Fyne's colour emoji font (4 MB of binary,
# ~4.6 MB of heap per text style); the desk's own font draws the chat's
# emoji in monochrome (assets/fonts/make_studio_font.py).
APPTAGS := $(TAGS),no_emoji
BIN     := bin/studiodesk
APT     := gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev xvfb imagemagick chromium \
           gcc-mingw-w64-x86-64 zip desktop-file-utils python3-openpyxl pulseaudio
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SHOTS   ?= docs/screenshots
export PATH := $(PATH):/usr/local/go/bin
# The version comes from FyneApp.toml; the About box shows it and the commit.
VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
BUILDNO := $(shell sed -n 's/^Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null)
DIST    := dist
PKGENV  := VERSION=$(VERSION) BUILD=$(BUILDNO) COMMIT=$(COMMIT) TAGS=$(APPTAGS) DIST=$(DIST)

.PHONY: deps build run test bench bench-app screenshot screenshot-ix package windows windows-smoke fuzz lint clean

deps:
	@command -v $(GO) >/dev/null || { echo "Go 1.26+ is required (https://go.dev/dl); put it on PATH"; exit 1; }
	@missing=""; for p in $(APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(GO) build -tags $(APPTAGS) -ldflags "-X studiodesk/app/ui.Version=$(VERSION) -X studiodesk/app/ui.Commit=$(COMMIT)" -o $(BIN) ./app

# Rehearsal mode on the embedded demo show; data in the user config dir
# unless STUDIODESK_DATA or --data says otherwise.
run: build
	./$(BIN) --rehearsal

test: deps
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -race -tags $(TAGS) -count=1 ./...

bench: deps
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...

# The real binary as a whole: headless (serve) and GUI (Xvfb, software GL)
# on the rehearsal simulator; CPU % of one core, RSS, peak RSS, exec → ready
# and → first frame, allocations/s; medians of 3 runs. BENCHAPP_FLAGS adds
# options, e.g. -before OLD_BINARY, -only NAME, -soak 1h -rate 2000 -gui=false.
bench-app: build
	$(GO) run ./app/internal/benchapp -bin $(BIN) $(BENCHAPP_FLAGS)

# Each role view under Xvfb, captured with ImageMagick's import.
screenshot: build
	@mkdir -p $(SHOTS)
	@for view in streamer controller producer presets devices; do \
		d=$$(mktemp -d); \
		Xvfb :97 -screen 0 1600x1000x24 >/dev/null 2>&1 & xpid=$$!; sleep 1; \
		DISPLAY=:97 LANG=zh_CN.UTF-8 STUDIODESK_DATA=$$d ./$(BIN) --rehearsal --view $$view --size 1600x1000 --demo-run >/dev/null 2>&1 & apid=$$!; \
		sleep 6; DISPLAY=:97 import -window root $(SHOTS)/$$view.png; \
		kill $$apid; timeout 5 tail --pid=$$apid -f /dev/null || kill -9 $$apid; \
		kill $$xpid; wait $$xpid 2>/dev/null; rm -rf $$d; \
		echo "wrote $(SHOTS)/$$view.png"; \
	done

# The interactions card with a live coupon and a live vote: a data directory
# is seeded (TestSeedLiveInteractions) and the app resumes it.
screenshot-ix: build
	@mkdir -p $(SHOTS)
	@for spec in 1366x768:zh 1366x768:en 1920x1080:zh 1920x1080:en; do \
		size=$${spec%%:*}; l=$${spec##*:}; d=$$(mktemp -d); \
		STUDIODESK_SHOT_SEED=$$d $(GO) test -tags $(TAGS) -count=1 -run TestSeedLiveInteractions ./app/ui >/dev/null || exit 1; \
		Xvfb :97 -screen 0 $${size}x24 >/dev/null 2>&1 & xpid=$$!; sleep 1; \
		DISPLAY=:97 STUDIODESK_DATA=$$d ./$(BIN) --rehearsal --view controller --size $$size --lang $$l --overlay 127.0.0.1:0 >/dev/null 2>&1 & apid=$$!; \
		sleep 6; DISPLAY=:97 import -window root $(SHOTS)/interactions-$$size-$$l.png; \
		kill $$apid; timeout 5 tail --pid=$$apid -f /dev/null || kill -9 $$apid; \
		kill $$xpid; wait $$xpid 2>/dev/null; rm -rf $$d; \
		echo "wrote $(SHOTS)/interactions-$$size-$$l.png"; \
	done

# Linux: dist/studiodesk-VERSION-linux-amd64.tar.gz (bin/studiodesk, the
# launcher, the icon, a Makefile for `sudo make install`) and
# dist/studiodesk_VERSION-BUILD_amd64.deb. See packaging/linux.sh.
package: deps
	$(PKGENV) bash packaging/linux.sh

# Windows: dist/studiodesk-VERSION-windows-amd64.zip with studiodesk.exe
# (icon and version resource from go-winres, pinned in go.mod's tool
# directive), README.txt and the licences, cross-built with mingw-w64.
windows: deps
	$(PKGENV) bash packaging/windows.sh

# Not in CI: runs the Windows build under Debian's wine and Xvfb (first run,
# screenshot, second desk refused, export + verify of a rehearsal log).
windows-smoke: windows
	@command -v wine >/dev/null || { $(SUDO) apt-get install -y -qq wine wine64; }
	$(PKGENV) bash packaging/wine-smoke.sh

lint:
	gofmt -l . | (! grep .) 
	$(GO) vet -tags $(TAGS) ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest -tags $(TAGS) ./...

clean:
	rm -rf bin $(DIST)
