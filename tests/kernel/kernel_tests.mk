# Kernel system tests: small purpose-built PDs (and one tiny guest) per test, each packed with
# its .system file into $(B)/tests/kernel/<test>/system.elf. tests/system/test_kernel.py boots them.
KTESTS := pingpong ppc preempt irq fault setvar budget vm time microkit_api
KTEST_DIR := $(B)/tests/kernel
# PDs that use floating point (the kernel switches FP state per thread; runtime/runtime.mk).
microkit_api_CFLAGS := $(PD_FP_CFLAGS)

define ktest_rules
$(1)_PD_SRCS := $$(wildcard $(TOP)/tests/kernel/$(1)/*.c)
$(1)_PD_ELFS := $$(patsubst $(TOP)/tests/kernel/$(1)/%.c,$(KTEST_DIR)/$(1)/%.elf,$$($(1)_PD_SRCS))

$(KTEST_DIR)/$(1)/%.o: $(TOP)/tests/kernel/$(1)/%.c $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(CC_A64) $$(or $$($(1)_CFLAGS),$(PD_CFLAGS)) -c $$< -o $$@

$(KTEST_DIR)/$(1)/%.elf: $(KTEST_DIR)/$(1)/%.o $(RUNTIME_LIB) $(RUNTIME_CRT0)
	$$(call pd_link,$$@,$$<)

$(KTEST_DIR)/$(1)/system.elf: $(TOP)/tests/kernel/$(1)/$(1).system $$($(1)_PD_ELFS) $(KERNEL_ELF) $(MKSYSTEM) \
		$$(wildcard $(TOP)/tests/kernel/$(1)/*.txt)
	$(MKSYSTEM) $$< --kernel $(KERNEL_ELF) --search-path $(KTEST_DIR)/$(1) $(TOP)/tests/kernel/$(1) -o $$@ --report $(KTEST_DIR)/$(1)/report.txt

ALL_TARGETS += $(KTEST_DIR)/$(1)/system.elf
endef
$(foreach t,$(KTESTS),$(eval $(call ktest_rules,$(t))))

# The VM test's guest: bare-metal EL1 code linked at its guest-physical address, embedded in the VMM.
KTEST_GUEST_OBJS := $(KTEST_DIR)/vm/guest/start.o $(KTEST_DIR)/vm/guest/guest.o

$(KTEST_DIR)/vm/guest/%.o: $(TOP)/tests/kernel/vm/guest/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(A64_CFLAGS) -c $< -o $@

$(KTEST_DIR)/vm/guest/%.o: $(TOP)/tests/kernel/vm/guest/%.S $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(A64_CFLAGS) -c $< -o $@

$(KTEST_DIR)/vm/guest/guest.bin: $(KTEST_GUEST_OBJS) $(TOP)/tests/kernel/vm/guest/guest.ld
	$(LD_A64) -nostdlib -static -T $(TOP)/tests/kernel/vm/guest/guest.ld $(KTEST_GUEST_OBJS) -o $(@:.bin=.elf)
	$(OBJCOPY_A64) -O binary $(@:.bin=.elf) $@

$(KTEST_DIR)/vm/guest_image.o: $(TOP)/tests/kernel/vm/guest_image.S $(KTEST_DIR)/vm/guest/guest.bin
	$(CC_A64) $(A64_CFLAGS) -DGUEST_IMAGE_PATH='"$(KTEST_DIR)/vm/guest/guest.bin"' -c $< -o $@

$(KTEST_DIR)/vm/vmm.elf: $(KTEST_DIR)/vm/vmm.o $(KTEST_DIR)/vm/guest_image.o $(RUNTIME_LIB) $(RUNTIME_CRT0)
	$(call pd_link,$@,$(KTEST_DIR)/vm/vmm.o $(KTEST_DIR)/vm/guest_image.o)
-include $(wildcard $(KTEST_DIR)/*/*.d)
