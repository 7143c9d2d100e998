# SPDX-License-Identifier: GPL-3.0-or-later
# vnvme: one non-recursive Makefile. `make`, `make check`, `make demo`.

VERSION := 0.1.0
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wmissing-prototypes
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
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

ALL_CFLAGS = $(CFLAGS) $(WARN) $(SAN) -std=gnu11 -D_GNU_SOURCE \
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

.PHONY: all deps check check-unit check-cli check-san check-lab demo install \
	clean cppcheck

all: $(VNVME)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(CLIA): $(CMD_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(VNVME): $(BUILD)/cmd/vnvme.o $(CLIA) $(LIBA)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CLIA) $(LIBA) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(CLIA) $(LIBA) $(HEADERS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Ilib -Icmd -o $@ $< $(CLIA) $(LIBA) \
		$(PKG_LIBS) $(CHECK_LIBS)

# Installs every Debian package the build, the tests and the lab need.
deps:
	tests/deps

check-unit: $(UNIT_BIN)
	tests/unit/run $(UNIT_BIN)

check-cli: $(VNVME)
	VNVME=$(abspath $(VNVME)) tests/cli/run

# Unit and CLI tests again under ASan+UBSan.
check-san:
	$(MAKE) SANITIZE=1 check-unit check-cli

# LAB=FILTER... runs only the scenarios whose names contain a FILTER;
# LAB_KERNELS="6.1" (or "6.12") only on that kernel, default both side by side.
check-lab:
	$(MAKE) SANITIZE= vnvme
	tests/lab/check $(LAB)

# Everything: unit, CLI, sanitizers, the lab (a real kernel in QEMU).
check: deps
	$(MAKE) cppcheck
	$(MAKE) check-unit check-cli
	$(MAKE) check-san
	$(MAKE) check-lab

# The article's whole flow, as far as vnvme implements it, in the lab.
demo: deps
	$(MAKE) SANITIZE= vnvme
	tests/lab/run tests/lab/demo.sh

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 \
		-I lib -I cmd lib cmd

install: $(VNVME)
	install -D -m 0755 $(VNVME) $(DESTDIR)$(SBINDIR)/vnvme
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 completions/vnvme $(DESTDIR)$(BASHCOMPDIR)/vnvme

clean:
	rm -rf build build-san vnvme
