# libFuzzer targets (tests/fuzz/fuzz_*.c) for every parser that takes
# outside input. They link their own copies of the parsers, compiled with
# clang and the fuzzer's instrumentation (never the normal objects), into
# build/tests/fuzz/. tests/fuzz/run.sh runs each for a bounded time; it is
# installed as build/tests/unit/test_fuzz so tests/run's unit layer runs it.
# Included by the top-level Makefile.
FUZZ_DIR    := $(BUILD)/tests/fuzz
FUZZ_OBJDIR := $(FUZZ_DIR)/obj
FUZZ_CFLAGS := -O1 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	       -Icommon -Ictl/xgwctl -fno-omit-frame-pointer \
	       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
# What each target links besides its own source.
FUZZ_SRCS_fuzz_cmd   := common/cmd.c common/addr.c common/rtnames.c
FUZZ_SRCS_fuzz_addr  := common/addr.c
FUZZ_SRCS_fuzz_proto := common/proto.c
FUZZ_SRCS_fuzz_prom  := common/prom.c common/json_print.c
FUZZ_SRCS_fuzz_json  := common/json_print.c
# ... and libraries besides the sanitizers'.
FUZZ_LIBS_fuzz_json  := -ljson-c
# Without clang's libFuzzer runtime (libclang-rt-dev, see tools/deps.sh) the
# runner says so as a skip instead of breaking the whole build.
FUZZ_HAVE_RT := $(shell f=$$($(CLANG) -print-file-name=libclang_rt.fuzzer-$(shell uname -m).a 2>/dev/null); [ -f "$$f" ] && echo 1)

ifeq ($(FUZZ_HAVE_RT),1)
all: $(FUZZ_TARGETS)
endif
all: $(BUILD)/tests/unit/test_fuzz

$(FUZZ_OBJDIR)/%.o: %.c $(wildcard common/*.h tests/fuzz/*.h ctl/xgwctl/*.h)
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

define fuzz_deps
$(FUZZ_DIR)/$(1): $(FUZZ_OBJDIR)/tests/fuzz/$(1).o \
	$(patsubst %.c,$(FUZZ_OBJDIR)/%.o,$(FUZZ_SRCS_$(1)))
endef
$(foreach t,$(notdir $(FUZZ_TARGETS)),$(eval $(call fuzz_deps,$(t))))

$(FUZZ_TARGETS):
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_LDFLAGS) $^ $(FUZZ_LIBS_$(notdir $@)) -o $@

# The runner, with this build's paths baked in.
$(BUILD)/tests/unit/test_fuzz: tests/fuzz/run.sh tests/fuzz/build.mk
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\nexec %s %s %s "$$@"\n' "$(abspath tests/fuzz/run.sh)" \
		"$(abspath $(FUZZ_DIR))" "$(abspath tests/fuzz/corpus)" > $@.tmp
	$(Q)chmod +x $@.tmp && mv $@.tmp $@

# `make fuzz`: the long run (libFuzzer targets 5 minutes each, the control
# socket fuzzer 20000 requests, 30 kill -9 rounds, a 1M-route state file);
# make check runs a short slice of each (8 s per target, 300 requests, 6
# rounds, 500k routes).
.PHONY: fuzz
fuzz: all
	$(Q)XGW_FUZZ_SECONDS=$${XGW_FUZZ_SECONDS:-300} $(BUILD)/tests/unit/test_fuzz
	$(Q)BUILD=$(BUILD) XGW_CTLFUZZ_COUNT=$${XGW_CTLFUZZ_COUNT:-20000} tests/netns/test_ctlsock.sh
	$(Q)BUILD=$(BUILD) XGW_FAULT_ROUNDS=$${XGW_FAULT_ROUNDS:-30} \
		XGW_FAULT_ROUTES=$${XGW_FAULT_ROUTES:-1000000} tests/netns/test_xgwd_faults.sh
