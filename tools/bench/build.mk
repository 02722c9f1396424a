# pktbench: ns/packet under BPF_PROG_TEST_RUN (tools/bench/run, `make bench`).
# libxgw.a: common/maglev.c builds the --service case's Maglev table.
$(BUILD)/tools/bench/pktbench: $(BUILD)/tools/bench/pktbench.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tools/bench/pktbench
