# image-update: see README.md. `make demo` runs the main job on an embedded default; `make test` runs every test.
DOTNET ?= dotnet
CONFIGURATION ?= Release
BIN_DIR := artifacts/bin

.PHONY: all build test deps restore demo bench clean format

all: build

deps:
	.ci/install-deps

restore:
	$(DOTNET) restore ImageUpdate.sln

build: restore
	$(DOTNET) publish src/ImageUpdate.Cli/ImageUpdate.Cli.csproj -c $(CONFIGURATION) --no-restore -o $(BIN_DIR) -nologo -v quiet

test: deps build
	$(DOTNET) test ImageUpdate.sln -c $(CONFIGURATION) --no-restore -nologo --logger "console;verbosity=normal"

format:
	$(DOTNET) format ImageUpdate.sln

clean:
	rm -rf artifacts src/*/bin src/*/obj tests/*/bin tests/*/obj

demo: build
	images/demo/run-engine-demo

bench: build
	tests/bench/run-bench
