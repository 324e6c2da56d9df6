# The separation kernel: one binary per board, configured at boot by the system image. The
# portable core (kernel/core) reaches the hardware only through kernel/include/kernel/arch.h,
# implemented by kernel/arch/$(KERNEL_ARCH) (which also provides <arch/machine.h>).
include $(BOARD_DIR)/board.mk

KERNEL_ARCH := aarch64
KERNEL_SRCS := $(wildcard $(TOP)/kernel/core/*.c) $(wildcard $(TOP)/kernel/arch/$(KERNEL_ARCH)/*.c) \
               $(TOP)/kernel/drivers/uart_$(BOARD_DEBUG_UART).c $(TOP)/lib/format.c
KERNEL_ASM  := $(wildcard $(TOP)/kernel/arch/$(KERNEL_ARCH)/*.S)
KERNEL_OBJS := $(patsubst $(TOP)/%.c,$(B)/kernel/%.o,$(KERNEL_SRCS:$(TOP)/kernel/%=$(TOP)/%)) \
               $(patsubst $(TOP)/kernel/%.S,$(B)/kernel/%.o,$(KERNEL_ASM))
KERNEL_CFLAGS := $(A64_CFLAGS) -fomit-frame-pointer -I$(TOP)/kernel/include -I$(TOP)/kernel/arch/$(KERNEL_ARCH)/include \
                 -MMD -MP

KERNEL_BASE_HEX := $(shell sed -n 's/^\#define BOARD_KERNEL_BASE *\(0x[0-9a-fA-F]*\).*/\1/p' $(BOARD_DIR)/board.h)
KERNEL_SIZE_HEX := $(shell sed -n 's/^\#define BOARD_KERNEL_SIZE *\(0x[0-9a-fA-F]*\).*/\1/p' $(BOARD_DIR)/board.h)

$(B)/kernel/lib/%.o: $(TOP)/lib/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(KERNEL_CFLAGS) -c $< -o $@

$(B)/kernel/%.o: $(TOP)/kernel/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(KERNEL_CFLAGS) -c $< -o $@

$(B)/kernel/%.o: $(TOP)/kernel/%.S $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(KERNEL_CFLAGS) -c $< -o $@

$(KERNEL_ELF): $(KERNEL_OBJS) $(TOP)/kernel/kernel.ld
	$(LD_A64) -nostdlib -static --defsym=KERNEL_BASE=$(KERNEL_BASE_HEX) --defsym=KERNEL_SIZE=$(KERNEL_SIZE_HEX) \
		--no-warn-rwx-segments -T $(TOP)/kernel/kernel.ld $(KERNEL_OBJS) -o $@

ALL_TARGETS += $(KERNEL_ELF)
-include $(KERNEL_OBJS:.o=.d)

# Host unit tests of the kernel's portable parts.
$(B)/host/tests/test_sysimage_check: $(TOP)/tests/unit/test_sysimage_check.c $(TOP)/kernel/core/sysimage_check.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(TOP)/kernel/include $(TOP)/tests/unit/test_sysimage_check.c \
		$(TOP)/kernel/core/sysimage_check.c $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_sysimage_check

# The portable core on the host over the fake arch (tests/unit/fake_arch.c, whose machine.h is
# found first), one test program per module. printk.c and string.c stay out: the host has stdio
# and libc.
KERNEL_HOST_CORE := $(filter-out %/printk.c %/string.c,$(wildcard $(TOP)/kernel/core/*.c))
KERNEL_HOST_DEPS := $(KERNEL_HOST_CORE) $(TOP)/tests/unit/fake_arch.c $(TOP)/tests/unit/fake_arch.h \
                    $(wildcard $(TOP)/tests/unit/fake_arch/arch/*.h $(TOP)/kernel/include/kernel/*.h) \
                    $(TOP)/include/tessera/abi.h $(TOP)/include/tessera/sysimage.h
KERNEL_HOST_TESTS := test_kernel_sched test_kernel_thread test_kernel_syscall test_kernel_irq test_kernel_boot

$(B)/host/tests/test_kernel_%: $(TOP)/tests/unit/test_kernel_%.c $(KERNEL_HOST_DEPS) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -DCONFIG_DEBUG=1 -I$(TOP)/tests/unit/fake_arch -I$(TOP)/kernel/include $< \
		$(TOP)/tests/unit/fake_arch.c $(KERNEL_HOST_CORE) $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(addprefix $(B)/host/tests/,$(KERNEL_HOST_TESTS))
