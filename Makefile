# sockit — top-level build: libsockit, the services, the sockit command,
# the examples, the tests.  `make check` and `make demo` are the two
# commands a fresh Debian machine needs; see README.md.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
SAN     ?=

# One version for the binary, the library, the .pc file, the man pages and
# the .deb (debian/changelog is checked against it by tests/e2e/test_pkg_deb.py).
VERSION := $(shell cat VERSION)
SOMAJOR  = 0

# Install directories (GNU names; debian/rules passes LIBDIR and SYSCONFDIR).
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
DOCDIR     ?= $(DATADIR)/doc/sockit
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions

WARN     = -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilib -Iservices -Isrc -MMD -MP
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu17 $(WARN)
LDLIBS   = -lhiredis -lmnl -luring -lcrypt -lpthread -lm
# OpenSSL (libssl-dev) is not linked: src/netcat/tls_load.c dlopen()s libssl
# at the first TLS use, so the other commands start without mapping it.
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
LIB_SO   = $(BUILD)/libsockit.so.$(VERSION)
LIB_SONAME = libsockit.so.$(SOMAJOR)
MANS     = $(patsubst man/%.scd,$(BUILD)/man/%,$(wildcard man/*.scd))
COMPLETIONS = $(BUILD)/completion/sockit $(BUILD)/completion/_sockit
SVC_A    = $(BUILD)/libsockit-services.a
CLI_A    = $(BUILD)/libsockit-cli.a
SOCKIT   = $(BUILD)/sockit
EXAMPLES = $(patsubst examples/%.c,$(BUILD)/examples/%,$(EX_SRC))
UNITS    = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPERS  = $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))

.PHONY: all tests examples check demo bench clean install install-strip uninstall deb deps fuzz fuzz-long soak compile_commands.json
all: $(SOCKIT) $(LIB_A) $(LIB_SO) $(EXAMPLES) $(MANS) $(COMPLETIONS)
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
# The shared library: its own position-independent objects, a soname, and
# only the sk_ API exported (lib/libsockit.map).  The sockit command links
# the static archive, so it runs from the build tree and needs no ld path.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@
$(LIB_SO): $(patsubst %.c,$(BUILD)/pic/%.o,$(LIB_SRC)) lib/libsockit.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libsockit.map -Wl,--no-undefined \
		-o $@ $(filter %.o,$^) -luring -lpthread
	ln -sf $(notdir $@) $(BUILD)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(BUILD)/libsockit.so

# Man pages: one scdoc source per page in man/, the version from VERSION.
$(BUILD)/man/%: man/%.scd VERSION
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/g' $< | scdoc > $@

# Shell completion: option tables from the built binary's --help texts.
$(BUILD)/completion/sockit: completion/sockit.bash.in $(SOCKIT) services/registry.c \
		scripts/gen-completion.sh scripts/help-options.awk
	@mkdir -p $(dir $@)
	scripts/gen-completion.sh $(SOCKIT) services/registry.c $< > $@.tmp && mv $@.tmp $@
$(BUILD)/completion/_sockit: completion/_sockit.in $(SOCKIT) services/registry.c \
		scripts/gen-completion.sh scripts/help-options.awk
	@mkdir -p $(dir $@)
	scripts/gen-completion.sh $(SOCKIT) services/registry.c $< > $@.tmp && mv $@.tmp $@

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
# make check; SOAK_CLIENTS, SOAK_SECONDS, SOAK_PROCS, SOAK_P99_MS,
# SOAK_ATTACKERS).
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

# make install [PREFIX=/usr/local] [DESTDIR=...]: the FHS places, nothing
# stripped (packagers strip; `make install-strip` for everyone else).
install: $(SOCKIT) $(LIB_A) $(LIB_SO) $(MANS) $(COMPLETIONS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/sockit $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/sockit $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	for m in $(MANS); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		install -d $$d && install -m 644 $$m $$d/ || exit 1; \
	done
	install -m 644 $(BUILD)/completion/sockit $(DESTDIR)$(BASHCOMPDIR)/sockit
	install -m 644 $(BUILD)/completion/_sockit $(DESTDIR)$(ZSHCOMPDIR)/_sockit
	install -m 755 $(SOCKIT) $(DESTDIR)$(BINDIR)/sockit
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libsockit.a
	install -m 644 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libsockit.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libsockit.so
	install -m 644 include/sockit/*.h $(DESTDIR)$(INCLUDEDIR)/sockit/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		lib/sockit.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/sockit.pc
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 644 docs/examples/sockit.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 docs/examples/sockit.conf $(DESTDIR)$(SYSCONFDIR)/sockit/sockit.conf

install-strip:
	$(MAKE) install
	strip --strip-unneeded $(DESTDIR)$(BINDIR)/sockit $(DESTDIR)$(LIBDIR)/libsockit.so.$(VERSION)

# Removes exactly what install put there (and the directories it made,
# when they are left empty).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sockit $(DESTDIR)$(LIBDIR)/libsockit.a \
		$(DESTDIR)$(LIBDIR)/libsockit.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libsockit.so \
		$(DESTDIR)$(LIBDIR)/pkgconfig/sockit.pc \
		$(DESTDIR)$(SYSCONFDIR)/sockit/sockit.conf \
		$(DESTDIR)$(BASHCOMPDIR)/sockit $(DESTDIR)$(ZSHCOMPDIR)/_sockit
	for m in $(notdir $(MANS)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/sockit/,$(notdir $(wildcard include/sockit/*.h)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,README.md $(notdir $(wildcard docs/*.md)) examples/sockit.conf)
	-rmdir $(DESTDIR)$(INCLUDEDIR)/sockit $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/sockit 2>/dev/null

# make deb: the Debian packages (sockit, libsockit0, libsockit-dev) from a
# copy of this tree in $(BUILD)/deb/, where dpkg-buildpackage also leaves
# the .deb files (it writes to the parent of the tree it builds).
DEB_DIR = $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/sockit-$(VERSION)
	tar -cf - --exclude=./build --exclude=./build-* --exclude=./.git \
		--exclude='__pycache__' . | tar -xf - -C $(DEB_DIR)/sockit-$(VERSION)
	cd $(DEB_DIR)/sockit-$(VERSION) && dpkg-buildpackage -us -uc -b
	ls $(DEB_DIR)/*.deb

clean:
	rm -rf build build-asan build-fuzz build-deb compile_commands.json

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
NEED_PKGS           = $(sort libc6-dev libssl-dev $(foreach l,$(LDLIBS),$(PKG_$(l))) \
                      $(if $(filter tests check $(BUILD)/tests/%,$(BUILD_GOALS)),libcmocka-dev))
CC_PKG              = $(if $(findstring clang,$(notdir $(firstword $(CC)))),clang,gcc)
MISSING_PKGS        = $(if $(shell command -v $(firstword $(CC))),,$(CC_PKG)) \
                      $(if $(shell command -v scdoc),,scdoc) \
                      $(foreach p,$(NEED_PKGS),$(if $(wildcard $(HDR_$(p))),,$(p)))
ifeq ($(DEPS_CHECK),yes)
ifneq ($(BUILD_GOALS),)
ifneq ($(strip $(MISSING_PKGS)),)
$(error missing Debian packages: $(strip $(MISSING_PKGS)); run 'make deps' as root to install them)
endif
endif
endif

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
