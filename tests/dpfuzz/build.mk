# dpfuzz, the differential datapath fuzzer (issue #14): the reference model,
# configurations, frames and the driver in tests/dpfuzz/, linked into
# build/tests/pkt/dpfuzz so tests/run's pkt layer runs its short slice;
# `make fuzz` runs the long one (DPFUZZ_FRAMES, 10M by default).
# Included by the top-level Makefile.
DPFUZZ_SRCS := $(wildcard tests/dpfuzz/*.c)
DPFUZZ_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(DPFUZZ_SRCS))
DPFUZZ      := $(BUILD)/tests/pkt/dpfuzz
DPFUZZ_FRAMES ?= 10000000

all: $(DPFUZZ)

$(DPFUZZ_OBJS): CFLAGS += -Itests/pkt
$(DPFUZZ_OBJS): $(wildcard tests/dpfuzz/*.h) tests/pkt/fib_skel.h common/xgw_shared.h \
	common/lbhash.h $(BUILD)/skel/xgw.skel.h

$(DPFUZZ): $(DPFUZZ_OBJS) $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

.PHONY: fuzz dpfuzz
fuzz: dpfuzz
dpfuzz: all
	$(Q)$(DPFUZZ) --frames $(DPFUZZ_FRAMES)
