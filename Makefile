# image-update: see README.md. `make demo` runs the main job on an embedded default; `make test` runs every test.
DOTNET ?= dotnet
CONFIGURATION ?= Release
BIN_DIR := artifacts/bin

.PHONY: all build guest test deps restore demo e2e powercut faults bench clean format install uninstall

all: build

deps:
	.ci/install-deps

restore:
	$(DOTNET) restore ImageUpdate.sln

# NativeAOT: one native executable that needs no .NET runtime on the host (libc, and OpenSSL opened
# at run time, as .NET opens it); `list` starts in about 10 ms instead of 150. Needs clang
# (.ci/install-deps). The debug symbols stay beside it as image-update.dbg; `make install` leaves them.
build: restore
	$(DOTNET) publish src/ImageUpdate.Cli/ImageUpdate.Cli.csproj -c $(CONFIGURATION) -r linux-x64 \
		-o $(BIN_DIR) -nologo -v quiet
	rm -f $(BIN_DIR)/*.xml $(BIN_DIR)/*.pdb

# The copy a booted demo OS carries in its initramfs: the same native binary.
GUEST_DIR := artifacts/guest
guest: build
	rm -rf $(GUEST_DIR) && mkdir -p $(GUEST_DIR)
	cp $(BIN_DIR)/image-update $(GUEST_DIR)/

# The tests run on Microsoft.Testing.Platform (xunit.v3; global.json names the runner), which closes
# with a "total: / failed: / succeeded: / skipped:" block; the last line printed here restates it as
# "test: N passed, N failed, N skipped". Under CI=true a skip is a failure (--fail-skips), and the
# tests themselves fail, naming it, when a tool or root they need is missing. `guest` is built too:
# Oracle/Test72Tests runs it (no .NET in the 262 chroot) through systemd's TEST-72-SYSUPDATE.sh.
# A subset: TEST_ARGS takes the runner's filters, e.g.
#   make test TEST_ARGS='--filter-namespace ImageUpdate.Tests.Update.Engine'
#   make test TEST_ARGS='--filter-class ImageUpdate.Tests.Cli.HelpTests'
#   make test TEST_ARGS='--filter-method "*.Sigint_*"'      (* wildcards at either end)
#   make test TEST_ARGS='--filter "FullyQualifiedName~ImageUpdate.Tests.Update.Staging"'   (the VSTest syntax)
#   make test TEST_ARGS='--filter-query "/*/ImageUpdate.Tests.Formats.Gpt/*/*"'              (xunit's query language)
# or, without make: dotnet test ImageUpdate.sln -c Release --no-build --filter-namespace ImageUpdate.Tests.Formats.Gpt
# (MTP passes unknown options on to the test program, which refuses them: no -nologo here.)
TEST_ARGS ?=
TEST_LOG := artifacts/test.log
test: deps build guest
	@mkdir -p artifacts
	@{ $(DOTNET) test ImageUpdate.sln -c $(CONFIGURATION) --no-restore \
		$$( [ "$${CI:-}" = true ] && echo --fail-skips on ) $(TEST_ARGS) 2>&1; echo $$? > $(TEST_LOG).status; } | tee $(TEST_LOG)
	@awk '/^Test run summary/ { found = 1 } found && $$1 == "succeeded:" { p = $$2 } found && $$1 == "failed:" { f = $$2 } \
		found && $$1 == "skipped:" { s = $$2 } END { if (found) printf "test: %d passed, %d failed, %d skipped\n", p, f, s; \
		else print "test: no summary from the test runner" }' $(TEST_LOG)
	@exit $$(cat $(TEST_LOG).status)

format:
	$(DOTNET) format ImageUpdate.sln

clean:
	rm -rf artifacts src/*/bin src/*/obj tests/*/bin tests/*/obj

# The engine on generated versions; a verity image with Secure Boot from build to update (no root);
# then, as root (loop mounts), the whole staged flow.
demo: deps build
	images/demo/run-engine-demo
	images/demo/run-verity-demo
	@if [ "$$(id -u)" -eq 0 ]; then images/demo/run-staged-demo; else echo "(the staged-update demo needs root for its BTRFS loop mount)"; fi

# Speed and memory figures (see README): startup of `list`, then the write path when present.
bench: build
	tests/bench/startup-list
	@if [ -x tests/bench/run-bench ]; then tests/bench/run-bench; fi

# `make build && sudo make install`: the native program in BINDIR, the systemd
# units, and the health.d directories the program reads (fixed paths, whatever the PREFIX: bless
# looks in /etc/image-update/health.d and /usr/lib/image-update/health.d), and the D-Bus policy and
# activation file of `serve` (also fixed: the system bus reads only /usr/share/dbus-1 and /etc/dbus-1).
# DESTDIR stages a package.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
HEALTH_ETC_DIR ?= /etc/image-update/health.d
HEALTH_LIB_DIR ?= /usr/lib/image-update/health.d
DBUS_POLICY_DIR ?= /usr/share/dbus-1/system.d
DBUS_SERVICE_DIR ?= /usr/share/dbus-1/system-services
UNITS_IN := units/image-update-bless.service.in units/image-update.service.in units/image-update-serve.service.in units/image-update-varlink@.service.in
UNITS := units/image-update.timer units/image-update-varlink.socket

install:
	@test -x $(BIN_DIR)/image-update || { echo "make install: $(BIN_DIR)/image-update is missing; run 'make build' first" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(HEALTH_ETC_DIR) $(DESTDIR)$(HEALTH_LIB_DIR)
	install -m 755 $(BIN_DIR)/image-update $(DESTDIR)$(BINDIR)/image-update
	for unit in $(UNITS_IN); do \
		sed 's|@bindir@|$(BINDIR)|g' $$unit > $(DESTDIR)$(UNITDIR)/$$(basename $$unit .in) && chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit .in) || exit 1; \
	done
	install -m 644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(DBUS_POLICY_DIR) $(DESTDIR)$(DBUS_SERVICE_DIR)
	install -m 644 dbus/org.freedesktop.sysupdate1.conf $(DESTDIR)$(DBUS_POLICY_DIR)/
	install -m 644 dbus/org.freedesktop.sysupdate1.service $(DESTDIR)$(DBUS_SERVICE_DIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/image-update
	for unit in $(UNITS_IN) $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$(basename $$unit .in); done
	rm -f $(DESTDIR)$(DBUS_POLICY_DIR)/org.freedesktop.sysupdate1.conf $(DESTDIR)$(DBUS_SERVICE_DIR)/org.freedesktop.sysupdate1.service
	rmdir $(DESTDIR)$(HEALTH_ETC_DIR) $(DESTDIR)$(HEALTH_LIB_DIR) 2>/dev/null || true

# The demo OS's whole life in real boots under QEMU (root; see tests/e2e/run-cycle): build-image,
# staged and URL updates into the image, blessing, a failed version falling back, a rollback.
e2e: deps build guest
	tests/e2e/run-cycle

# Power cuts during a real update in a QEMU guest, checked on the host (tests/powercut/README.md):
# POWERCUT_RUNS cuts (default 100; CI runs 10), seeded by POWERCUT_SEED. Root (loop mounts).
powercut: deps build guest
	tests/powercut/run-powercut

# Disk faults in the same guest (dm-error/dm-flakey under the slot, the GPT, the ESP, the whole
# disk turning read-only): one clear error, version 1 whole, a rerun completes (tests/powercut/README.md).
faults: deps build guest
	tests/powercut/run-faults
