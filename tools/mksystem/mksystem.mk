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

# Unit tests: run the tool on tests/mksystem/{bad,good}/*.system with small fixture programs.
MKSYSTEM_FIXTURES := $(B)/tests/mksystem
$(MKSYSTEM_FIXTURES)/pd.o: $(TOP)/tests/mksystem/pd.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(MKSYSTEM_FIXTURES)/pd.elf: $(MKSYSTEM_FIXTURES)/pd.o $(RUNTIME_LIB) $(RUNTIME_CRT0)
	$(call pd_link,$@,$<)

$(MKSYSTEM_FIXTURES)/host.elf: $(TOP)/tests/mksystem/pd.c
	@mkdir -p $(@D)
	printf 'int main(void) { return 0; }\n' | $(HOSTCC) -x c - -o $@

$(MKSYSTEM_FIXTURES)/kernel.elf: $(KERNEL_ELF)
	@mkdir -p $(@D)
	cp $< $@

$(B)/host/tests/test_mksystem: $(TOP)/tests/unit/test_mksystem.c $(MKSYSTEM) $(MKSYSTEM_FIXTURES)/pd.elf \
		$(MKSYSTEM_FIXTURES)/host.elf $(MKSYSTEM_FIXTURES)/kernel.elf $(wildcard $(TOP)/tests/mksystem/*/*.system)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -DMKSYSTEM_PATH='"$(MKSYSTEM)"' -DFIXTURE_DIR='"$(MKSYSTEM_FIXTURES)"' \
		-DTESTS_DIR='"$(TOP)/tests/mksystem"' $< $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_mksystem
