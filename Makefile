# swift-tflite — build, test and demo commands. `make demo` and `make test` work on a fresh
# Debian machine with Swift installed: they install the Debian packages they need first.

SWIFT ?= swift
DEBIAN_PACKAGES = flatbuffers-compiler libflatbuffers-dev libjpeg-dev libpng-dev zlib1g-dev pkg-config
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_MODEL = Fixtures/models/mobilenet_v3_style_int8.tflite

.PHONY: deps build test demo schema-check clean

## deps: install the Debian packages the build needs (only when missing).
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get install -y $$missing || { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; fi

## build: the release build of the library and the tflite-run tool.
build: deps
	$(SWIFT) build -c release

## schema-check: the committed C++ verifier header matches schema/schema.fbs.
schema-check: deps
	./schema/generate.sh --check

## test: every test, on a release build (whole models run in the tests).
test: deps schema-check
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

## demo: build, show a shipped model's structure, and run it on its fixture input.
demo: build
	.build/release/tflite-run dump $(DEMO_MODEL)
	.build/release/tflite-run run $(DEMO_MODEL) --input-raw Fixtures/golden/mobilenet_v3_style_int8.input0.bin --top-k 5

clean:
	rm -rf .build
