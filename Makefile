# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xgw: XDP gateway. `make` builds everything into build/, `make check` runs
# every test, `make bench` the benchmarks. V=1 shows the full commands,
# SAN=1 builds userspace with ASan/UBSan.

BUILD    ?= build
PREFIX   ?= /usr/local
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS     := libbpf libxdp libnl-route-3.0 libnl-3.0 libsystemd json-c libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The version both programs print (build/gen/build_version.h): `git describe`
# when this directory is a git work tree's top, else the version of
# debian/changelog (a tree unpacked from the source package). VERSION=...
# on the command line wins.
ifeq ($(origin VERSION),undefined)
VERSION := $(shell if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ]; then \
		git describe --tags --always --dirty 2>/dev/null; \
	elif [ -r debian/changelog ]; then dpkg-parsechangelog -l debian/changelog -S Version; \
	else echo unknown; fi)
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	    -Icommon -I$(BUILD)/skel -I$(BUILD)/gen $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
	      -Ivmlinux -Icommon -Ibpf

# ---- BPF objects and skeletons --------------------------------------------
# Every *.bpf.c in the tree becomes build/bpf/NAME.bpf.o and
# build/skel/NAME.skel.h (struct NAME_bpf): one object per program family.
BPF_SRCS := $(wildcard bpf/*.bpf.c tools/*/*.bpf.c tests/*/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.h) common/xgw_shared.h vmlinux/vmlinux.h
BPF_OBJS := $(patsubst %.bpf.c,$(BUILD)/bpf/%.bpf.o,$(notdir $(BPF_SRCS)))
SKELS    := $(patsubst %.bpf.c,$(BUILD)/skel/%.skel.h,$(notdir $(BPF_SRCS)))
vpath %.bpf.c $(sort $(dir $(BPF_SRCS)))

# ---- userspace -----------------------------------------------------------------
COMMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard common/*.c))
XGWD_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out ctl/xgwd/main.c,$(wildcard ctl/xgwd/*.c)))
XGWCTL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard ctl/xgwctl/*.c))
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))

PROGS :=
ifneq ($(wildcard ctl/xgwd/main.c),)
PROGS += $(BUILD)/xgwd
endif
ifneq ($(XGWCTL_OBJS),)
PROGS += $(BUILD)/xgwctl
endif

.PHONY: all deps check bench demo demo-cluster install uninstall deb clean format vmlinux test-unit FORCE
.DEFAULT_GOAL := all
# Keep intermediate objects (unit test .o files): no needless rebuilds.
.SECONDARY:

all: $(BPF_OBJS) $(SKELS) $(PROGS) $(UNIT_TESTS)

$(BUILD)/bpf/%.bpf.o: %.bpf.c $(BPF_HDRS) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)
	$(Q)rm -f $(@:.o=.tmp.o)

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/skel
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# Userspace objects see every skeleton (order-only: skeletons first); the
# compiler's dependency files then name the skeletons and headers each one
# really includes, so a changed BPF program rebuilds what embeds it.
define compile_c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
endef
$(BUILD)/%.o: %.c | $(SKELS)
	$(compile_c)
# The programs that ship (ctl/, common/) embed only the datapath's objects
# (bpf/): building them alone (make deb) compiles none of the tools' or
# tests' BPF programs. (More specific patterns: make prefers them.)
SHIP_SKELS := $(patsubst %.bpf.c,$(BUILD)/skel/%.skel.h,$(notdir $(wildcard bpf/*.bpf.c)))
$(BUILD)/ctl/%.o: ctl/%.c | $(SHIP_SKELS)
	$(compile_c)
$(BUILD)/common/%.o: common/%.c | $(SHIP_SKELS)
	$(compile_c)

# Rewritten only when the version changes: only version.o rebuilds.
$(BUILD)/gen/build_version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '#define XGW_BUILD_VERSION "$(VERSION)"' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/common/version.o: $(BUILD)/gen/build_version.h

$(BUILD)/libxgw.a: $(COMMON_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libxgwd.a: $(XGWD_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/xgwd: $(BUILD)/ctl/xgwd/main.o $(BUILD)/libxgwd.a $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/xgwctl: $(XGWCTL_OBJS) $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Unit tests link the daemon's library too, so its logic is testable
# without a kernel.
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libxgwd.a $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/bpf $(BUILD)/skel:
	$(Q)mkdir -p $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Further programs (tools, packet tests) bring their own rules.
include $(wildcard ctl/*/build.mk tools/*/build.mk tests/*/build.mk)

# ---- kernel types -------------------------------------------------------------------
# vmlinux/vmlinux.h is committed so a machine without BTF still builds;
# `make vmlinux` regenerates it from the running kernel.
vmlinux:
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "make: no /sys/kernel/btf/vmlinux: kernel has no BTF" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	$(Q)mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

vmlinux/vmlinux.h:
	$(Q)if [ -r /sys/kernel/btf/vmlinux ]; then \
		$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@; \
	else echo "make: $@ missing and the kernel has no BTF" >&2; exit 1; fi

# ---- the two commands ------------------------------------------------------------------
deps:
	$(Q)tools/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench/run

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo

# Three gateways behind a BGP/ECMP router (scale, #13).
demo-cluster: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/cluster/demo

# ---- install, package (ops-package) -----------------------------------------
# Every path below honours DESTDIR and PREFIX; systemd reads units from
# $(PREFIX)/lib/systemd/system for PREFIX=/usr and /usr/local alike.
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
INSTALLED   := $(SBINDIR)/xgwd $(SBINDIR)/xgwctl $(SBINDIR)/xgw-decap \
	       $(MANDIR)/man8/xgwd.8 $(MANDIR)/man8/xgwctl.8 $(MANDIR)/man8/xgw-decap.8 \
	       $(BASHCOMPDIR)/xgwctl $(UNITDIR)/xgwd.service

install: $(BUILD)/xgwd $(BUILD)/xgwctl $(BUILD)/xgw-decap $(BUILD)/xgwd.service
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/xgwd $(BUILD)/xgwctl $(BUILD)/xgw-decap $(DESTDIR)$(SBINDIR)/
	install -m 0644 docs/xgwd.8 docs/xgwctl.8 docs/xgw-decap.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/xgwctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/xgwctl
	install -m 0644 $(BUILD)/xgwd.service $(DESTDIR)$(UNITDIR)/xgwd.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The unit names the installed xgwd: its path follows SBINDIR.
$(BUILD)/xgwd.service: contrib/systemd/xgwd.service Makefile
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@.tmp && mv $@.tmp $@

# xgw_VERSION_ARCH.deb in build/deb/ (debhelper, from a copy of the tree
# without .git: see debian/build-deb).
deb:
	$(Q)debian/build-deb "$(BUILD)/deb"

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v vmlinux)

clean:
	rm -rf $(BUILD)
