# image-update: see README.md. `make demo` runs the main job on an embedded default; `make test` runs every test.
DOTNET ?= dotnet
CONFIGURATION ?= Release
BIN_DIR := artifacts/bin

.PHONY: all build guest test deps restore demo e2e bench clean format

all: build

deps:
	.ci/install-deps

restore:
	$(DOTNET) restore ImageUpdate.sln

# ReadyToRun: image-update runs at every boot, and precompiled code starts about a third faster.
build: restore
	$(DOTNET) publish src/ImageUpdate.Cli/ImageUpdate.Cli.csproj -c $(CONFIGURATION) -r linux-x64 --self-contained false \
		-p:PublishReadyToRun=true -o $(BIN_DIR) -nologo -v quiet

# The copy a booted demo OS carries in its initramfs: self-contained (no .NET on the guest), trimmed and
# single-file, so only libc, libstdc++ and libgcc_s have to come along.
GUEST_DIR := artifacts/guest
guest: restore
	$(DOTNET) publish src/ImageUpdate.Cli/ImageUpdate.Cli.csproj -c $(CONFIGURATION) -r linux-x64 --self-contained true \
		-p:PublishTrimmed=true -p:PublishSingleFile=true -p:DebugType=none -p:GenerateDocumentationFile=false \
		-o $(GUEST_DIR) -nologo -v quiet

test: deps build
	$(DOTNET) test ImageUpdate.sln -c $(CONFIGURATION) --no-restore -nologo

format:
	$(DOTNET) format ImageUpdate.sln

clean:
	rm -rf artifacts src/*/bin src/*/obj tests/*/bin tests/*/obj

# The engine on generated versions; then, as root (loop mounts), the whole staged flow.
demo: deps build
	images/demo/run-engine-demo
	@if [ "$$(id -u)" -eq 0 ]; then images/demo/run-staged-demo; else echo "(the staged-update demo needs root for its BTRFS loop mount)"; fi

# Speed and memory figures (see README): startup of `list`, then the write path when present.
bench: build
	tests/bench/startup-list
	@if [ -x tests/bench/run-bench ]; then tests/bench/run-bench; fi
