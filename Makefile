# The front door: `make demo` and `make test` install what is missing first.
SWIFT ?= swift
# The demo ends by serving the API and the dashboard over its data (Ctrl-C stops it);
# `make demo DEMO_ARGS=` only prints.
DEMO_ARGS ?= --serve 127.0.0.1:8889
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
