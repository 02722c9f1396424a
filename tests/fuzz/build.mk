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
FUZZ_SRCS_fuzz_cmd   := common/cmd.c common/addr.c
FUZZ_SRCS_fuzz_addr  := common/addr.c
FUZZ_SRCS_fuzz_proto :=
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
