# Load-balancer packet tests (h4): build/tests/pkt/pkt_lb, run by tests/run pkt.
# Shares h1's packet toolkit (tests/pkt/pkt_lib.c) and the Maglev builder.
PKT_LB := $(BUILD)/tests/pkt/pkt_lb

all: $(PKT_LB)

$(PKT_LB): $(BUILD)/tests/lbpkt/pkt_lb.o $(BUILD)/tests/pkt/pkt_lib.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/lbpkt/pkt_lb.o: CFLAGS += -Itests/pkt
$(BUILD)/tests/lbpkt/pkt_lb.o: tests/pkt/pkt_lib.h $(BUILD)/skel/xgw.skel.h
