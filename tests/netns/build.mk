# fib4get: what the pinned IPv4 FIB answers (and digests of it), read-only,
# for the netns tests and operators. Included by the top-level Makefile.
$(BUILD)/tests/netns/fib4get: $(BUILD)/tests/netns/fib4get.o $(BUILD)/libxgw.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

all: $(BUILD)/tests/netns/fib4get
