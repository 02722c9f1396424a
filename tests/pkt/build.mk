# Packet tests (BPF_PROG_TEST_RUN): every tests/pkt/pkt_*.c and lb_*.c with a
# main() becomes build/tests/pkt/NAME, linked with the shared toolkit
# pkt_lib.c and libxgw.a; the load balancer's suites (lb_*) also with their
# fixtures, lb_lib.c. Included by the top-level Makefile.
PKT_LIB := $(BUILD)/tests/pkt/pkt_lib.o
LB_LIB := $(BUILD)/tests/pkt/lb_lib.o
PKT_TESTS := $(patsubst tests/pkt/%.c,$(BUILD)/tests/pkt/%,\
	$(filter-out tests/pkt/pkt_lib.c tests/pkt/lb_lib.c,$(wildcard tests/pkt/pkt_*.c tests/pkt/lb_*.c)))
LB_TESTS := $(filter $(BUILD)/tests/pkt/lb_%,$(PKT_TESTS))

all: $(PKT_TESTS)

# The tests embed the xgw skeleton: rebuild them when the datapath changes.
$(PKT_TESTS:=.o) $(PKT_LIB) $(LB_LIB): tests/pkt/pkt_lib.h tests/pkt/fib_skel.h tests/pkt/route_fix.h \
	common/fib.h $(BUILD)/skel/fib_probe.skel.h \
	common/xgw_shared.h $(BUILD)/skel/xgw.skel.h
$(LB_TESTS:=.o) $(LB_LIB): tests/pkt/lb_lib.h

$(filter-out $(LB_TESTS),$(PKT_TESTS)): %: %.o $(PKT_LIB) $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(LB_TESTS): %: %.o $(LB_LIB) $(PKT_LIB) $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
