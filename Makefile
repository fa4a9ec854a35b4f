# sockit — top-level build: libsockit, the services, the sockit command,
# the examples, the tests.  `make check` and `make demo` are the two
# commands a fresh Debian machine needs; see README.md.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
SAN     ?=

WARN     = -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes
VERSION := $(shell cat VERSION)
CPPFLAGS = -D_GNU_SOURCE -Iinclude -Ilib -Iservices -Isrc -MMD -MP
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu17 $(WARN)
LDLIBS   = -lmnl -luring -lpthread -lm
# liburing (liburing-dev) carries the loop's io_uring backend (lib/loop_uring.c).

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  = $(wildcard lib/*.c)
SVC_SRC  = $(wildcard services/*.c services/*/*.c)
CLI_SRC  = $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
EX_SRC   = $(filter-out examples/frame.c,$(wildcard examples/*.c))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_A    = $(BUILD)/libsockit.a
SVC_A    = $(BUILD)/libsockit-services.a
CLI_A    = $(BUILD)/libsockit-cli.a
SOCKIT   = $(BUILD)/sockit
EXAMPLES = $(patsubst examples/%.c,$(BUILD)/examples/%,$(EX_SRC))
UNITS    = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPERS  = $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))

.PHONY: all tests examples check demo bench clean install deps fuzz fuzz-long soak compile_commands.json
all: $(SOCKIT) $(LIB_A) $(EXAMPLES)
examples: $(EXAMPLES)
tests: $(UNITS) $(HELPERS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The version lives in one place, the VERSION file; only the kit reads it.
$(BUILD)/obj/src/cli/error.o: src/cli/error.c VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DSOCKIT_VERSION='"$(VERSION)"' $(CFLAGS) -c $< -o $@

$(LIB_A): $(call obj,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^
$(SVC_A): $(call obj,$(SVC_SRC))
	@rm -f $@
	$(AR) rcs $@ $^
$(CLI_A): $(call obj,$(CLI_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(SOCKIT): $(call obj,src/main.c) $(CLI_A) $(SVC_A) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Examples are libc-only teaching programs: no libsockit, no -D_GNU_SOURCE
# beyond what each file asks for itself.  frame.c is shared by the Caesar pair.
EX_CFLAGS = -std=gnu17 $(WARN) $(filter-out -std=%,$(CFLAGS))
$(BUILD)/examples/caesar_%: examples/caesar_%.c examples/frame.c examples/frame.h
	@mkdir -p $(dir $@)
	$(CC) $(EX_CFLAGS) $(LDFLAGS) -o $@ $< examples/frame.c
$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(EX_CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(CLI_A) $(SVC_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

deps:
	@scripts/install-deps.sh check

# The suite runs twice: a normal -O2 build, then everything rebuilt and run
# again under AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps
	$(MAKE) all tests BUILD=build
	scripts/run-tests.sh build
	$(MAKE) all tests BUILD=build-asan SAN=1
	scripts/run-tests.sh build-asan

demo:
	@scripts/install-deps.sh demo
	$(MAKE) all BUILD=build
	scripts/demo.sh build

bench:
	@scripts/install-deps.sh bench
	$(MAKE) all BUILD=build
	bench/run.sh build

fuzz:
	@scripts/install-deps.sh check
	scripts/fuzz.sh

# Hostile load past one process: 10,000 clients for 10 minutes (not in
# make check; SOAK_CLIENTS, SOAK_SECONDS, SOAK_PROCS, SOAK_P99_MS).
soak:
	$(MAKE) all BUILD=build
	scripts/soak.sh build

# Every fuzz target to depth (FUZZ_EXECS inputs, default 10 M, or
# FUZZ_SECONDS each) and a table of execs, exec/s, coverage, crashes.
fuzz-long:
	@scripts/install-deps.sh check
	scripts/fuzz-long.sh

compile_commands.json:
	bear -- $(MAKE) -B all tests

install: $(SOCKIT) $(LIB_A)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/sockit
	install -m 755 $(SOCKIT) $(DESTDIR)$(PREFIX)/bin/sockit
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libsockit.a
	install -m 644 include/sockit/*.h $(DESTDIR)$(PREFIX)/include/sockit/

clean:
	rm -rf build build-asan build-fuzz compile_commands.json

# Missing Debian packages are named in one line before any compiler runs
# (a fresh machine gets "run make deps", not "libmnl/libmnl.h: No such
# file").  The packages come from the libraries the link uses (LDLIBS, so
# a library added there is checked too), plus libc and, for the tests,
# cmocka.  A package counts as installed when its header is there;
# override a path (make HDR_libmnl-dev=/opt/...) if yours is elsewhere, or
# DEPS_CHECK=no to skip.  Goals that install their own packages first
# (check, demo, bench, fuzz, deps) and clean are not checked here; the
# makes they start are.
PKG_-lmnl          = libmnl-dev
PKG_-lssl          = libssl-dev
PKG_-lcrypto       = libssl-dev
PKG_-lcrypt        = libcrypt-dev
PKG_-lhiredis      = libhiredis-dev
PKG_-luring        = liburing-dev
HDR_libc6-dev      ?= /usr/include/stdio.h
HDR_libmnl-dev     ?= /usr/include/libmnl/libmnl.h
HDR_libssl-dev     ?= /usr/include/openssl/ssl.h
HDR_libcrypt-dev   ?= /usr/include/crypt.h
HDR_libhiredis-dev ?= /usr/include/hiredis/hiredis.h
HDR_liburing-dev   ?= /usr/include/liburing.h
HDR_libcmocka-dev  ?= /usr/include/cmocka.h
DEPS_CHECK         ?= yes
SELF_INSTALLING     = check demo bench fuzz deps clean
BUILD_GOALS         = $(if $(MAKECMDGOALS),$(filter-out $(SELF_INSTALLING),$(MAKECMDGOALS)),all)
NEED_PKGS           = $(sort libc6-dev $(foreach l,$(LDLIBS),$(PKG_$(l))) \
                      $(if $(filter tests check $(BUILD)/tests/%,$(BUILD_GOALS)),libcmocka-dev))
CC_PKG              = $(if $(findstring clang,$(notdir $(firstword $(CC)))),clang,gcc)
MISSING_PKGS        = $(if $(shell command -v $(firstword $(CC))),,$(CC_PKG)) \
                      $(foreach p,$(NEED_PKGS),$(if $(wildcard $(HDR_$(p))),,$(p)))
ifeq ($(DEPS_CHECK),yes)
ifneq ($(BUILD_GOALS),)
ifneq ($(strip $(MISSING_PKGS)),)
$(error missing Debian packages: $(strip $(MISSING_PKGS)); run 'make deps' as root to install them)
endif
endif
endif

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
