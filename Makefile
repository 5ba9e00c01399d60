# The front door: `make demo` and `make test` install what is missing first.
SWIFT ?= swift
.PHONY: setup build demo test bench clean

setup:
	@tools/setup.sh

build: setup
	$(SWIFT) build

demo: setup
	$(SWIFT) build -c release --product tally
	.build/release/tally demo $(DEMO_ARGS)

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: setup
	$(SWIFT) build -c release --product tally
	$(SWIFT) build -c release --product tally-bench
	.build/release/tally-bench

clean:
	rm -rf .build
