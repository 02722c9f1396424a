# fibget: what the pinned FIBs answer (and digests of them), and a route
# set written into them without xgwd, for the netns tests, the bench and
# operators. Included by the top-level Makefile.
$(BUILD)/tests/netns/fibget: $(BUILD)/tests/netns/fibget.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tests/netns/fibget
