# Kizuna build. `make` builds build/kizuna; `make run` and `make test` are the quick start.
# The test build (build/test/) runs under AddressSanitizer and UndefinedBehaviorSanitizer.
# `make web` builds the web app (web/ -> web/dist, served by `kizuna serve`).

CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libsodium zlib libcurl
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -Ibuild/gen $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lpthread -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS    := $(shell find src -name '*.c' | sort)
LIBSRCS := $(filter-out src/main.c,$(SRCS))
MIGS    := $(sort $(wildcard src/store/migrations/*.sql))
GEN     := build/gen/migrations.c
OBJS    := $(SRCS:%.c=build/obj/%.o) build/obj/migrations.o
TOBJS   := $(SRCS:%.c=build/test/obj/%.o) build/test/obj/migrations.o
TLIB    := $(filter-out build/test/obj/src/main.o,$(TOBJS))
UNITS   := $(patsubst tests/unit/%.c,build/test/unit/%,$(wildcard tests/unit/*.c))
BENCHES := $(patsubst bench/%.c,build/bench/%,$(wildcard bench/*.c))
WEBSRCS := $(shell find web/src web/public web/scripts -type f 2>/dev/null) web/index.html web/package.json \
           web/package-lock.json web/vite.config.ts web/tsconfig.json
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

PORT    ?= 8080
DB      ?= kizuna.db
ADMIN_EMAIL    ?= admin@example.com
ADMIN_PASSWORD ?= kizuna-admin

.PHONY: all deps test-deps web run test bench fuzz clean
all: deps build/kizuna

deps:
	@scripts/deps.sh build
test-deps:
	@scripts/deps.sh test

# The web app: type-checked, then bundled by Vite; its packages come from npm ci (deps.sh).
web: web/dist/index.html
web/node_modules/.package-lock.json: web/package-lock.json
	@scripts/deps.sh build
web/dist/index.html: web/node_modules/.package-lock.json $(WEBSRCS)
	@echo "  WEB     web/dist"
	@cd web && npm run --silent build

build/kizuna: $(OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/obj/%.o: %.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -DKZ_VERSION='"$(VERSION)"' -c -o $@ $<
build/obj/migrations.o: $(GEN)
	@$(CC) $(CFLAGS) -c -o $@ $<

build/test/kizuna: $(TOBJS)
	@echo "  LD      $@ (sanitized)"
	@$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)
build/test/obj/%.o: %.c $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (sanitized)"
	@$(CC) $(CFLAGS) -O1 $(SAN) -DKZ_VERSION='"$(VERSION)"' -c -o $@ $<
build/test/obj/migrations.o: $(GEN)
	@$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

# Migrations are compiled into the binary: one C string per numbered file.
$(GEN): $(MIGS) scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	@scripts/embed-migrations.sh $(MIGS) > $@

build/test/unit/%: tests/unit/%.c $(TLIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (unit test)"
	@$(CC) $(CFLAGS) -O1 $(SAN) -Itests -o $@ $< $(TLIB) $(LDLIBS) -lcriterion

build/bench/%: bench/%.c $(wildcard bench/*.h) $(filter-out build/obj/src/main.o,$(OBJS))
	@mkdir -p $(dir $@)
	@echo "  CC      $< (benchmark)"
	@$(CC) $(CFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

# The demo database is made once; delete $(DB) to start again.
run: all web
	@export KIZUNA_ADMIN_EMAIL='$(ADMIN_EMAIL)' KIZUNA_ADMIN_PASSWORD='$(ADMIN_PASSWORD)'; \
	test -f $(DB) || build/kizuna demo --db $(DB) || exit 1; \
	echo; \
	echo "  Kizuna is starting on http://127.0.0.1:$(PORT)"; \
	echo "  log in as $(ADMIN_EMAIL) / $(ADMIN_PASSWORD)  (demo CSMs and viewer: password kizuna-demo)"; \
	echo "  API: POST /api/v1/session, then see docs/openapi.yaml. Stop with Ctrl-C."; \
	echo; \
	exec build/kizuna serve --db $(DB) --listen 127.0.0.1:$(PORT) --web web/dist

test: test-deps build/kizuna build/test/kizuna $(UNITS) web/dist/index.html
	@scripts/run-tests.sh $(UNITS)

bench: all $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build

# libFuzzer targets for the parsers of outside input (clang; not part of `make test`).
# `make fuzz` builds them and runs each for FUZZ_SECONDS from its corpus in fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZERS := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/*.c))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -Ibuild/gen -fsanitize=fuzzer,address,undefined $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

build/fuzz/%: fuzz/%.c $(LIBSRCS) $(GEN)
	@command -v clang >/dev/null || { apt-get update -qq && apt-get install -y -qq clang >/dev/null; }
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang $(FUZZ_CFLAGS) -o $@ $< $(LIBSRCS) $(GEN) $(LDLIBS)

fuzz: deps $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus-$$n fuzz/corpus/$$n \
	    > build/fuzz/$$n.log 2>&1 || { tail -n 40 build/fuzz/$$n.log; exit 1; }; \
	  grep -E '^Done [0-9]+ runs' build/fuzz/$$n.log; done
