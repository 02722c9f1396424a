# pktbench: ns/packet under BPF_PROG_TEST_RUN (tools/bench/run, `make bench`).
$(BUILD)/tools/bench/pktbench: $(BUILD)/tools/bench/pktbench.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tools/bench/pktbench
