# swift-tflite — build, test and demo commands. `make demo` and `make test` work on a fresh
# Debian machine with Swift installed: they install the Debian packages they need first.

SWIFT ?= swift
DEBIAN_PACKAGES = flatbuffers-compiler libflatbuffers-dev libjpeg-dev libpng-dev zlib1g-dev pkg-config
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test demo schema-check fuzz fuzz-ci sanitize clean

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

## demo: build; classify a shipped handwritten digit with the int8 model; compare the int8
## model's accuracy with its float original on the 360 shipped test digits.
demo: build
	.build/release/tflite-run run Fixtures/models/digits_int8.tflite --image Fixtures/digits/test/7/$$(ls Fixtures/digits/test/7 | head -1) --labels Fixtures/digits/labels.txt --top-k 3
	.build/release/tflite-run compare Fixtures/models/digits_float.tflite Fixtures/models/digits_int8.tflite --images Fixtures/digits/test --labels Fixtures/digits/labels.txt

## fuzz: libFuzzer over model bytes (reader → prepare → invoke) for FUZZ_SECONDS, seeded with
## the fixtures; crashers land in Fuzz/crashes/ (minimise them into Tests/TFLiteTests/Regressions).
## fuzz-ci: a short fixed number of seeded runs, for CI.
FUZZ_SECONDS ?= 300
FUZZ_BIN = Fuzz/.build/release/FuzzModel
# Always rebuilt (incrementally): the binary must match the sources it fuzzes.
.PHONY: fuzz-build
fuzz-build: deps
	cd Fuzz && $(SWIFT) build -c release --product FuzzModel -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
fuzz: fuzz-build
	mkdir -p Fuzz/corpus Fuzz/crashes && cp -n Fixtures/models/*.tflite Fuzz/corpus/ 2>/dev/null || true
	$(FUZZ_BIN) Fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -max_len=120000 -rss_limit_mb=3000 -timeout=20 -artifact_prefix=Fuzz/crashes/
fuzz-ci: fuzz-build
	mkdir -p Fuzz/corpus Fuzz/crashes && cp -n Fixtures/models/*.tflite Fuzz/corpus/ 2>/dev/null || true
	$(FUZZ_BIN) Fuzz/corpus -runs=3000 -seed=1 -max_len=120000 -rss_limit_mb=4096 -timeout=120 -artifact_prefix=Fuzz/crashes/

## sanitize: the test suite under AddressSanitizer, then UndefinedBehaviorSanitizer (debug).
## (XCTest's runner leaks 144 bytes at exit; .lsan-suppressions names it.) Swift has no UBSan
## mode on Linux — its own overflow and bounds checks are on in debug builds — so UBSan
## instruments the C and C++ parts (the flatbuffers verifier, the libjpeg shim) with clang's
## runtime from the Swift toolchain.
CLANG_RT = $(shell dirname $$(dirname $$(readlink -f $$(which swift))))/lib/swift/clang/lib/linux
sanitize: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/.lsan-suppressions $(SWIFT) test -c release --scratch-path .build-asan --sanitize=address
	UBSAN_OPTIONS=halt_on_error=1 $(SWIFT) test -c release --scratch-path .build-ubsan -Xcc -fsanitize=undefined -Xcxx -fsanitize=undefined \
	  -Xlinker $(CLANG_RT)/libclang_rt.ubsan_standalone-x86_64.a -Xlinker $(CLANG_RT)/libclang_rt.ubsan_standalone_cxx-x86_64.a

clean:
	rm -rf .build
