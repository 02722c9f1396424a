# pktbench: ns/packet under BPF_PROG_TEST_RUN (tools/bench/run, `make bench`).
# libxgw.a: common/fib.c writes the routes; tests/pkt/fib_skel.h maps the
# FIB's arrays (shared with the packet tests); routegen.c makes the route
# sets (the same ones for xgw, the kernel and xgwctl).
$(BUILD)/tools/bench/pktbench.o: CFLAGS += -Itests/pkt
$(BUILD)/tools/bench/pktbench.o: tests/pkt/fib_skel.h common/fib.h tools/bench/routegen.h \
	$(BUILD)/skel/xgw.skel.h
$(BUILD)/tools/bench/pktbench: $(BUILD)/tools/bench/pktbench.o $(BUILD)/tools/bench/routegen.o \
	$(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tools/bench/pktbench

# lbbench: the service path, xgw's modes and (KATRAN_OBJ) Katran side by side.
$(BUILD)/tools/bench/lbbench.o: CFLAGS += -Itests/pkt
$(BUILD)/tools/bench/lbbench.o: tests/pkt/fib_skel.h common/fib.h $(BUILD)/skel/xgw.skel.h
$(BUILD)/tools/bench/lbbench: $(BUILD)/tools/bench/lbbench.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tools/bench/lbbench

# lbflood: established flows against floods of new flows (#14.5).
$(BUILD)/tools/bench/lbflood.o: CFLAGS += -Itests/pkt
$(BUILD)/tools/bench/lbflood.o: tests/pkt/fib_skel.h common/fib.h $(BUILD)/skel/xgw.skel.h
$(BUILD)/tools/bench/lbflood: $(BUILD)/tools/bench/lbflood.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tools/bench/lbflood

# progbench (router-cp): ns/packet of the program a running xgwd has
# attached, over the maps it filled (tools/bench/follow).
$(BUILD)/tools/bench/progbench: $(BUILD)/tools/bench/progbench.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tools/bench/progbench
