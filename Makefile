# StudioDesk — build, run, test. `make run` and `make test` install what is
# missing on a fresh Debian machine (sudo only when not root).
GO      ?= go
TAGS    := migrated_fynedo
BIN     := bin/studiodesk
APT     := gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev xvfb imagemagick chromium
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SHOTS   ?= docs/screenshots
export PATH := $(PATH):/usr/local/go/bin

.PHONY: deps build run test bench screenshot screenshot-ix package fuzz lint clean

deps:
	@command -v $(GO) >/dev/null || { echo "Go 1.26+ is required (https://go.dev/dl); put it on PATH"; exit 1; }
	@missing=""; for p in $(APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(GO) build -tags $(TAGS) -o $(BIN) ./app

# Rehearsal mode on the embedded demo show; data in the user config dir
# unless STUDIODESK_DATA or --data says otherwise.
run: build
	./$(BIN) --rehearsal

test: deps
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -race -tags $(TAGS) -count=1 ./...

bench: deps
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...

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

# Metadata is passed explicitly: FyneApp.toml sits at the top level, the
# main package in app/.
package: deps
	cd app && $(GO) run fyne.io/tools/cmd/fyne@latest package --release --tags $(TAGS) --icon ../assets/icons/icon.png \
		--name StudioDesk --app-id com.studiodesk.desk --app-version 0.1.0 --app-build 1

lint:
	gofmt -l . | (! grep .) 
	$(GO) vet -tags $(TAGS) ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest -tags $(TAGS) ./...

clean:
	rm -rf bin
