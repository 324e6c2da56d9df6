# The .system tool (host C): validates a system description and packs the bootable image.
MKSYSTEM_SRCS := $(wildcard $(TOP)/tools/mksystem/*.c)
MKSYSTEM_OBJS := $(patsubst $(TOP)/%.c,$(B)/host/%.o,$(MKSYSTEM_SRCS))

$(B)/host/tools/mksystem/%.o: $(TOP)/tools/mksystem/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(MKSYSTEM): $(MKSYSTEM_OBJS)
	$(HOSTCC) $(HOST_LDFLAGS) $^ -lexpat -o $@

ALL_TARGETS += $(MKSYSTEM)
-include $(MKSYSTEM_OBJS:.o=.d)
