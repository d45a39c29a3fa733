# consultd - build, run and test.
#   make            build daemon/consultd
#   make run        install what is missing, build, start a private PostgreSQL under ./var/
#                   (unless a database URL is configured), migrate, create a demo key, serve
#   make stop       stop what make run left running: its daemon and its private PostgreSQL
#   make test       the same set-up, then unit tests, end-to-end tests and the sanitizer build
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
BUILD ?= build/release
BIN ?= daemon/consultd

PKGS := libevent libpq jansson libcrypto libcurl inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := 0.1.0
OPT ?= -O2
CFLAGS ?= -g
CFLAGS += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wformat=2 -Idaemon -I$(BUILD) -DCONSULTD_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(SAN)
LDFLAGS += $(SAN)
LDLIBS += $(PKG_LIBS) -lcsv -lm

SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
OBJ := $(SRC:daemon/%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
LIB := $(BUILD)/libconsultd.a
SCHEMA := $(sort $(wildcard schema/*.sql))
CONSOLE := $(sort $(shell find console -type f 2>/dev/null))
# The residents' page and the Data Package of /public/, embedded beside the
# console (named public/<file>).
PUBLIC := $(sort $(wildcard public/*))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run stop test unit e2e asan install clean bench-text fuzz fuzz-http vendor
all: $(BIN)

$(BUILD)/%.o: daemon/%.c $(wildcard daemon/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/embedded.c: scripts/embed.sh daemon/openapi.json $(SCHEMA) $(CONSOLE) $(PUBLIC) | $(BUILD)
	scripts/embed.sh $@ daemon/openapi.json $(SCHEMA) -- $(CONSOLE) $(PUBLIC)

$(BUILD)/embedded.o: $(BUILD)/embedded.c daemon/embedded.h
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) \
		$(shell pkg-config --libs cmocka)

$(BUILD):
	mkdir -p $(BUILD)

deps:
	@scripts/deps.sh run

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/dev-run.sh

stop:
	@scripts/dev-stop.sh

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all
	@scripts/test.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan BIN=build/asan/consultd OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		build/asan/consultd $(UNIT_BIN:build/release/%=build/asan/%)

# Text-similarity accuracy on the published docket pairs and the EC consultations (needs zlib1g-dev).
DATA ?= ../shared/data/consultations
BENCH_TEXT_SRC := daemon/textsim.c daemon/overlap.c daemon/consultation.c daemon/vocab.c daemon/field_errors.c \
	daemon/areas.c daemon/ons_csv.c
$(BUILD)/text_accuracy: tests/bench/text_accuracy.c $(BENCH_TEXT_SRC) $(wildcard daemon/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -o $@ tests/bench/text_accuracy.c $(BENCH_TEXT_SRC) $(LDFLAGS) $(PKG_LIBS) -lcsv -lz -lm

bench-text: $(BUILD)/text_accuracy
	$(BUILD)/text_accuracy $(DATA)/regulations_gov_docket_pairs_10k.tsv.gz \
		$(DATA)/regulations_gov_rules_proposed_rules.csv.gz \
		$(DATA)/ec_have_your_say_consultations_2016_2026.csv schema/002_vocabularies.sql

# libFuzzer over the request-body path (needs clang). FUZZ_SECONDS bounds the run.
FUZZ_SECONDS ?= 60
FUZZ_SRC := daemon/consultation.c daemon/vocab.c daemon/field_errors.c daemon/ons_csv.c daemon/overlap.c \
	daemon/textsim.c daemon/areas.c
build/fuzz/fuzz_consultation: tests/fuzz/fuzz_consultation.c $(FUZZ_SRC) $(wildcard daemon/*.h)
	@mkdir -p build/fuzz
	clang -g -O1 -std=c11 -D_GNU_SOURCE -Idaemon -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(shell pkg-config --cflags jansson) -o $@ tests/fuzz/fuzz_consultation.c \
		$(FUZZ_SRC) $(shell pkg-config --libs jansson) -lcsv -lm

fuzz: build/fuzz/fuzz_consultation
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_consultation -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 \
		build/fuzz/corpus tests/fuzz/corpus
	@$(MAKE) --no-print-directory fuzz-http

# The HTTP edge: libFuzzer over the framing pre-parser, then mutated raw requests thrown at a live
# ASan+UBSan daemon (scripts/fuzz-http.sh; needs PostgreSQL's server binaries), FUZZ_SECONDS each.
build/fuzz/fuzz_http_framing: tests/fuzz/fuzz_http_framing.c daemon/http_framing.c daemon/http_framing.h
	@mkdir -p build/fuzz
	clang -g -O1 -std=c11 -D_GNU_SOURCE -Idaemon -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ tests/fuzz/fuzz_http_framing.c daemon/http_framing.c

fuzz-http: build/fuzz/fuzz_http_framing
	@mkdir -p build/fuzz/http-corpus
	build/fuzz/fuzz_http_framing -max_total_time=$(FUZZ_SECONDS) -max_len=2048 -timeout=5 \
		build/fuzz/http-corpus tests/fuzz/http_corpus
	@$(MAKE) --no-print-directory asan
	scripts/fuzz-http.sh $(FUZZ_SECONDS)

# Refreshes the browser tests' axe-core from the npm registry (see tests/browser/vendor/MANIFEST).
AXE_VERSION ?= 4.11.0
vendor:
	scripts/vendor.sh $(AXE_VERSION)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/consultd $(DESTDIR)$(PREFIX)/lib/systemd/system \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d \
		$(DESTDIR)$(PREFIX)/share/consultd/schema $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/consultd
	install -m 0644 schema/*.sql $(DESTDIR)$(PREFIX)/share/consultd/schema/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/consultd.service.in > $(DESTDIR)$(PREFIX)/lib/systemd/system/consultd.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/consultd.service
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -f systemd/instance.sed systemd/consultd.service.in \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/consultd@.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/consultd@.service
	install -m 0644 systemd/consultd.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/consultd.conf
	install -m 0644 systemd/consultd.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/consultd.conf
	install -m 0644 man/consultd.8 $(DESTDIR)$(PREFIX)/share/man/man8/consultd.8
	install -m 0644 man/consultd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/consultd.conf.5
	test -e $(DESTDIR)/etc/consultd/consultd.conf || \
		install -m 0640 config/consultd.conf $(DESTDIR)/etc/consultd/consultd.conf

clean:
	rm -rf build daemon/consultd
