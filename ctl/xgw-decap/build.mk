# xgw-decap: IP-in-IP decapsulation for the backends of an ipip service,
# without xgwd (ctl/xgw-decap, BPF object bpf/decap_only.bpf.c embedded).
$(BUILD)/xgw-decap: $(BUILD)/ctl/xgw-decap/main.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/xgw-decap
