# SPDX-License-Identifier: GPL-3.0-or-later
# vnvme: one non-recursive Makefile. `make`, `make check`, `make demo`.

VERSION := 0.1.0
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
PKG_CONFIG ?= pkg-config
# WERROR=1 turns warnings into errors: on in `make check` and CI, off by
# default so that a distribution's newer compiler does not fail its build.
WERROR ?=
WARN = -Wall -Wextra -Wmissing-prototypes $(if $(filter 1,$(WERROR)),-Werror)
PKGS := libparted blkid libnvme jansson libkmod libcrypto

# SANITIZE=1 builds into build-san/ with ASan+UBSan; the normal build is
# ./vnvme with objects in build/.
ifeq ($(SANITIZE),1)
BUILD := build-san
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
VNVME := $(BUILD)/vnvme
export ASAN_OPTIONS := suppressions=$(abspath tests/asan.supp):detect_leaks=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
else
BUILD := build
SAN :=
VNVME := vnvme
endif

# Lazy (=): pkg-config runs when a recipe needs it, after tests/deps.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
# libparted is not linked: lib/gpt.c loads it when it partitions (its
# constructor runs dmidecode through a shell in every process that links it).
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out libparted,$(PKGS)))
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARN) $(SAN) -std=gnu11 -D_GNU_SOURCE \
	-DVNVME_VERSION='"$(VERSION)"' $(PKG_CFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c))
CMD_SRC := $(filter-out cmd/vnvme.c,$(sort $(wildcard cmd/*.c)))
UNIT_SRC := $(sort $(wildcard tests/unit/check_*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBA := $(BUILD)/libvnvme.a
# The command layer without main(), so unit tests can drive the dispatcher.
CLIA := $(BUILD)/libvnvme-cli.a
HEADERS := $(wildcard lib/*.h cmd/*.h)
# Header dependencies as the compiler sees them (-MMD -MP), not every
# object on every header.
DEPS := $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(BUILD)/cmd/vnvme.d

.PHONY: all deps check check-unit check-cli check-san check-lab check-lab-san check-deb deb \
	demo install clean cppcheck check-units check-host check-prebuild bench check-bench check-verify soak fuzz check-fuzz \
	soak-build soak-powercut soak-leaks soak-stops soak-replay soak-replay-1 soak-replay-2 \
	soak-replay-dmcache

all: $(VNVME)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(DEPS)

$(LIBA): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(CLIA): $(CMD_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(VNVME): $(BUILD)/cmd/vnvme.o $(CLIA) $(LIBA)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(CLIA) $(LIBA) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(CLIA) $(LIBA) $(HEADERS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -Ilib -Icmd -o $@ $< \
		$(CLIA) $(LIBA) $(PKG_LIBS) $(CHECK_LIBS)

# The lab's data verifier and dm-log-writes replayer (tests/verify): plain
# C, no library but libc.
VERIFY := $(BUILD)/vnvme-verify
REPLAY := $(BUILD)/vnvme-replay
$(BUILD)/vnvme-%: tests/verify/vnvme-%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARN) $(SAN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

check-verify: $(VERIFY) $(REPLAY)
	VERIFY=$(abspath $(VERIFY)) tests/verify/run

# libFuzzer harnesses (tests/fuzz/NAME.c, seeds in tests/fuzz/corpus/NAME/):
# Debian's clang with ASan+UBSan, the library rebuilt into build-fuzz/ so
# the normal build is untouched. `make fuzz` runs each for FUZZ_SECONDS;
# `make check-fuzz` (part of `make check`) replays the seeds and fuzzes each
# for FUZZ_CHECK_SECONDS.
FUZZ_CC ?= clang-14
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 3
FUZZ_CFLAGS = $(CPPFLAGS) -g -O1 $(WARN) -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE \
	-DVNVME_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/fuzz-%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIBA := $(FUZZ_BUILD)/libvnvme.a
-include $(FUZZ_LIB_OBJ:.o=.d)

$(FUZZ_BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIBA): $(FUZZ_LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz-%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIBA) $(HEADERS)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ilib $(LDFLAGS) -o $@ $< \
		$(FUZZ_LIBA) $(PKG_LIBS)

fuzz: $(FUZZ_BIN)
	tests/fuzz/run --seconds $(FUZZ_SECONDS) $(FUZZ_BIN)

check-fuzz: $(FUZZ_BIN)
	tests/fuzz/run --seconds $(FUZZ_CHECK_SECONDS) $(FUZZ_BIN)

# Installs every Debian package the build, the tests and the lab need.
deps:
	tests/deps

check-unit: $(UNIT_BIN)
	tests/unit/run $(UNIT_BIN)

check-cli: $(VNVME)
	VNVME=$(abspath $(VNVME)) tests/cli/run

# The installed systemd units, judged by systemd-analyze verify.
check-units: $(VNVME)
	tests/systemd/verify

# Unit and CLI tests again under ASan+UBSan.
check-san:
	$(MAKE) SANITIZE=1 check-unit check-cli check-verify

# LAB=FILTER... runs only the scenarios whose names contain a FILTER;
# LAB_KERNELS="6.1" (or "6.12") only on that kernel, default both side by side.
check-lab:
	$(MAKE) SANITIZE= vnvme build/vnvme-verify build/vnvme-replay
	tests/lab/check $(LAB)

# The lab with vnvme built with ASan+UBSan: every report fails its scenario
# (tests/lab/guest.sh). Not part of make check: under TCG the sanitized
# vnvme makes a scenario take 1.5-2x as long.
check-lab-san:
	$(MAKE) SANITIZE=1 build-san/vnvme
	$(MAKE) SANITIZE= build/vnvme-verify build/vnvme-replay
	VNVME_BIN=$(abspath build-san/vnvme) tests/lab/check $(LAB)

# The test targets build with -Werror (a clean tree stays clean).
check check-host check-unit check-cli check-san check-lab check-lab-san check-fuzz demo: export WERROR := 1

# The checks that run on the host, then the bench's smoke run. The
# sanitizer, fuzz and package checks build in trees of their own: two at a
# time, each one's output in one piece.
check-host:
	$(MAKE) check-unit check-cli check-units check-verify
	$(MAKE) -j2 --output-sync=target check-san check-fuzz check-deb
	$(MAKE) check-bench

# Everything: unit, CLI, sanitizers, fuzz, package, the lab (a real kernel
# in QEMU), the bench's smoke run. What both need is built first; then the
# host's checks (check-host) run beside the lab: in sequence they took about
# 250 s and the bench's smoke run 90 s, much of it on one core, while the
# lab's three guests keep both cores busy (3% idle) for 25 minutes. The lab
# streams; check-host's output goes to build/check-host.log and is printed
# after the lab's; the exit status fails if either failed. It runs the
# sanitizer builds itself (check-san), so `make SANITIZE=1 check` is the
# same run: every sub-make is told SANITIZE= (the targets are named in it).
check: deps
	$(MAKE) cppcheck
	$(MAKE) -j2 SANITIZE= check-prebuild
	@echo "make check: check-host runs beside the lab; its output follows the lab's"
	@rm -f build/check-host.log build/check-host.rc; \
	{ $(MAKE) SANITIZE= check-host >build/check-host.log 2>&1; echo $$? >build/check-host.rc; } & \
	lab=0; $(MAKE) SANITIZE= check-lab || lab=$$?; \
	wait; \
	echo "=== check-host (ran beside the lab)"; cat build/check-host.log; \
	host=$$(cat build/check-host.rc 2>/dev/null || echo 1); \
	echo "make check: check-lab exit $$lab, check-host exit $$host"; \
	[ "$$lab" = 0 ] && [ "$$host" = 0 ]

# What make check's lab and host checks both need, built once first.
check-prebuild: $(VNVME) $(UNIT_BIN) $(VERIFY) $(REPLAY)

# SOAK_CUTS power cuts through the whole stack in one lab run (one boot per
# cut, 30-90 s each), then the table of cuts: tests/lab/t-powercut.sh.
# Then SOAK_CYCLES cycles of every create/delete pair and of up/down, with
# no leak after them (make check runs 5 of the fast ones, 2 up/down):
# tests/lab/t-leaks.sh. Then SOAK_STOPS rounds of write load, stop and
# assemble with no hung task (make check runs 2): tests/lab/t-raid-stop.sh.
# Then 4 x SOAK_REPLAY crash states replayed with the RapidDisk cache over
# the array (half of them with a random subset of the unflushed writes
# kept), in two guests at once, and a tenth of that with dm-cache (make check: 8, RapidDisk):
# tests/lab/t-replay.sh. Plan hours, not minutes: on a 2-core host shared
# with other guests, each replay guest did about 3 crash states a minute.
# SOAK_MEMBERS: the members' caches the replay models, write-through
# (vnvme's default, turned off), volatile (--keep-write-cache) or both (each
# state judged in each model from the same logs; twice the time). Each part
# is a target of its own (soak-powercut, soak-leaks, soak-stops, soak-replay).
SOAK_CUTS ?= 50
SOAK_CYCLES ?= 50
SOAK_STOPS ?= 100
SOAK_REPLAY ?= 250
SOAK_MEMBERS ?= write-through
SOAK_LAB = tests/lab/run --hdds 14 --hdd-size 256M --nvme-size 32M
soak: soak-powercut soak-leaks soak-stops soak-replay

soak-build:
	$(MAKE) SANITIZE= vnvme build/vnvme-verify build/vnvme-replay

soak-powercut: soak-build
	tests/lab/run --hdd-size 64M --boots $$(($(SOAK_CUTS) + 1)) --timeout 400 \
		tests/lab/t-powercut.sh $(SOAK_CUTS)

soak-leaks: soak-build
	tests/lab/run --hdds 6 --hdd-size 64M --timeout 7200 \
		tests/lab/t-leaks.sh $(SOAK_CYCLES) $(SOAK_CYCLES)

soak-stops: soak-build
	tests/lab/run --throttle 150 --smp 2 --timeout 7200 \
		tests/lab/t-raid-stop.sh $(SOAK_STOPS) 4

# Two guests (one a core), each half the RapidDisk batches, then dm-cache.
soak-replay: soak-build
	$(MAKE) -j2 --output-sync=target soak-replay-1 soak-replay-2
	$(MAKE) soak-replay-dmcache

soak-replay-1 soak-replay-2:
	$(SOAK_LAB) --timeout 14400 tests/lab/t-replay.sh $$(($(SOAK_REPLAY) / 2)) rapiddisk 1 - \
		write-back $(SOAK_MEMBERS)

soak-replay-dmcache:
	$(SOAK_LAB) --timeout 7200 tests/lab/t-replay.sh $$(($(SOAK_REPLAY) / 10)) dm-cache 1 - \
		write-back $(SOAK_MEMBERS)

# The article's whole flow, as far as vnvme implements it, in the lab.
demo: deps
	$(MAKE) SANITIZE= vnvme
	tests/lab/run tests/lab/demo.sh

# A Debian package built from a copy of the tree (the .deb lands in
# build/deb/), and its checks: the file list and lintian without errors.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	tar --exclude=./build --exclude=./build-san --exclude=./build-fuzz --exclude=./.git \
		--exclude=./vnvme --exclude=./bench-results -cf - . | tar -C build/deb/src -xf -
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	rm -rf build/deb/src

check-deb: deb
	tests/deb/check build/deb/vnvme_$(VERSION)_*.deb

# The benchmark in the lab (tests/bench/run): results in bench-results/.
# QUICK=1: one repetition, shorter windows (about 10 minutes).
bench: deps
	$(MAKE) SANITIZE= vnvme
	tests/bench/run $(if $(QUICK),--quick)

# The bench's smoke run (about a minute): it must still produce its summary.
check-bench: deps
	$(MAKE) SANITIZE= vnvme
	tests/bench/run --smoke --out build/bench-smoke

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 \
		-I lib -I cmd lib cmd

install: $(VNVME)
	install -D -m 0755 $(VNVME) $(DESTDIR)$(SBINDIR)/vnvme
	install -d $(DESTDIR)$(MANDIR)/man8
	# a page that is another's (vnvme-up.8 is vnvme-stack.8) is a symlink,
	# as Debian's policy prefers to .so, and works from the source tree too
	for m in man/*.8; do \
		if [ -L $$m ]; then ln -sf $$(readlink $$m) $(DESTDIR)$(MANDIR)/man8/$${m#man/}; \
		else install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; fi; \
	done
	install -d $(DESTDIR)$(MANDIR)/man5
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -D -m 0644 completions/vnvme $(DESTDIR)$(BASHCOMPDIR)/vnvme
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in systemd/*.service.in; do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) || exit 1; \
	done

clean:
	rm -rf build build-san build-fuzz vnvme
