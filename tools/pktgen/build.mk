# xgw-pktgen: XDP live-frames packet generator and sink (tools/pktgen).
PKTGEN_OBJS := $(BUILD)/tools/pktgen/pktgen.o $(BUILD)/tools/pktgen/sink.o

$(BUILD)/xgw-pktgen: $(PKTGEN_OBJS) $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/xgw-pktgen
