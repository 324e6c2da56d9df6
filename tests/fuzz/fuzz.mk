# Fuzzing (issue 13): one libFuzzer harness per parser and device model, tests/fuzz/fuzz_<name>.c.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ=name,name]: build the harnesses with clang and run each for
#     that long, one after another, on a fresh copy of its corpus under $(B)/fuzz/work (the
#     repository is never written); prints executions and findings per harness.
#   make unit-test (and make test): every saved input (corpus/<name>, regressions/<name>) replayed
#     through each harness built with the host compiler and the unit tests' flags, in seconds, so a
#     fixed bug stays fixed. Inputs in known/<name> find defects still open: not replayed.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := $(B)/fuzz
FUZZ_SRC := $(TOP)/tests/fuzz
FUZZ_HARNESSES := virtqueue virtio_mmio virtio_console virtio_blk blk_virt mbr serial_queue serial_tx serial_rx \
	mksystem fdt sysimage syscall
FUZZ ?= $(FUZZ_HARNESSES)
fuzz_comma := ,
FUZZ_SELECTED := $(filter $(subst $(fuzz_comma), ,$(FUZZ)),$(FUZZ_HARNESSES))

# UBSan findings stop the run (as a broken invariant does) in both builds, rather than printing.
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I$(TOP)/include -I$(BOARD_DIR) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_REPLAY_CFLAGS := $(HOST_CFLAGS) -fno-sanitize-recover=all
FUZZ_HEADERS := $(wildcard $(FUZZ_SRC)/*.h)

# The peer between two loads (fuzz_race.h), for the harnesses of code that reads shared memory.
FUZZ_RACE_SRC := $(FUZZ_SRC)/fuzz_race.c
FUZZ_RACE_FLAGS := -include $(FUZZ_SRC)/fuzz_race.h
FUZZ_GUEST_SRC := $(FUZZ_SRC)/fuzz_guest.c
FUZZ_VMM := $(TOP)/vmm/src
FUZZ_VMM_FLAGS := -I$(TOP)/vmm/include -I$(TOP)/drivers
FUZZ_TRANSPORT := $(FUZZ_VMM)/virtio_mmio.c $(FUZZ_VMM)/guest_ram.c
FUZZ_KERNEL_FLAGS := -DCONFIG_DEBUG=1 -I$(TOP)/tests/unit/fake_arch -I$(TOP)/kernel/include -I$(TOP)/tests/unit

# Per harness: the sources it links besides its own file, its flags, its libraries.
FUZZ_SRCS_virtqueue := $(FUZZ_VMM)/virtqueue.c $(FUZZ_VMM)/guest_ram.c $(FUZZ_RACE_SRC)
FUZZ_FLAGS_virtqueue := $(FUZZ_VMM_FLAGS) $(FUZZ_RACE_FLAGS)
FUZZ_SRCS_virtio_mmio := $(FUZZ_TRANSPORT)
FUZZ_FLAGS_virtio_mmio := $(FUZZ_VMM_FLAGS)
FUZZ_SRCS_virtio_console := $(FUZZ_VMM)/virtio_console.c $(FUZZ_VMM)/virtqueue.c $(FUZZ_TRANSPORT) \
	$(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c $(FUZZ_GUEST_SRC) $(FUZZ_RACE_SRC)
FUZZ_FLAGS_virtio_console := $(FUZZ_VMM_FLAGS) $(FUZZ_RACE_FLAGS)
FUZZ_SRCS_virtio_blk := $(FUZZ_VMM)/virtio_blk.c $(FUZZ_VMM)/virtqueue.c $(FUZZ_TRANSPORT) $(TOP)/drivers/blk/queue.c \
	$(TOP)/drivers/blk/storage_info.c $(TOP)/drivers/common/spsc.c $(FUZZ_GUEST_SRC)
FUZZ_FLAGS_virtio_blk := $(FUZZ_VMM_FLAGS)
FUZZ_SRCS_blk_virt := $(TOP)/drivers/blk/virt.c $(TOP)/drivers/blk/mbr.c $(TOP)/drivers/blk/queue.c \
	$(TOP)/drivers/blk/storage_info.c $(TOP)/drivers/common/spsc.c $(FUZZ_RACE_SRC)
FUZZ_FLAGS_blk_virt := $(FUZZ_RACE_FLAGS)
FUZZ_SRCS_mbr := $(TOP)/drivers/blk/mbr.c
FUZZ_SRCS_serial_queue := $(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c $(FUZZ_RACE_SRC)
FUZZ_FLAGS_serial_queue := $(FUZZ_RACE_FLAGS)
FUZZ_SRCS_serial_tx := $(TOP)/drivers/serial/virt_tx.c $(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c \
	$(FUZZ_RACE_SRC)
FUZZ_FLAGS_serial_tx := $(FUZZ_RACE_FLAGS)
FUZZ_SRCS_serial_rx := $(TOP)/drivers/serial/virt_rx.c $(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c \
	$(FUZZ_RACE_SRC)
FUZZ_FLAGS_serial_rx := -D_GNU_SOURCE $(FUZZ_RACE_FLAGS)
FUZZ_SRCS_mksystem := $(filter-out %/main.c,$(wildcard $(TOP)/tools/mksystem/*.c)) $(TOP)/kernel/core/sysimage_check.c
FUZZ_FLAGS_mksystem := -I$(TOP)/kernel/include
FUZZ_LIBS_mksystem := -lexpat
FUZZ_SRCS_fdt := $(FUZZ_VMM)/fdt.c
FUZZ_FLAGS_fdt := $(FUZZ_VMM_FLAGS)
FUZZ_SRCS_sysimage := $(TOP)/tests/unit/fake_arch.c $(KERNEL_HOST_CORE)
FUZZ_FLAGS_sysimage := $(FUZZ_KERNEL_FLAGS)
FUZZ_SRCS_syscall := $(TOP)/tests/unit/fake_arch.c $(KERNEL_HOST_CORE)
FUZZ_FLAGS_syscall := $(FUZZ_KERNEL_FLAGS)
FUZZ_KERNEL_DEPS := $(wildcard $(TOP)/kernel/include/kernel/*.h $(TOP)/tests/unit/fake_arch/arch/*.h) \
	$(TOP)/tests/unit/fake_arch.h $(TOP)/include/tessera/sysimage.h $(TOP)/include/tessera/abi.h
FUZZ_DEPS_sysimage := $(FUZZ_KERNEL_DEPS)
FUZZ_DEPS_syscall := $(FUZZ_KERNEL_DEPS)

# $(call fuzz_harness,<name>): its libFuzzer binary and its replay, registered as a unit test.
define fuzz_harness
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_SRC)/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_HEADERS) $(FUZZ_DEPS_$(1)) $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$(1)) $(FUZZ_SRC)/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1)) -o $$@

$(B)/host/tests/replay_$(1): $(FUZZ_SRC)/fuzz_$(1).c $(FUZZ_SRC)/replay_main.c $(FUZZ_SRCS_$(1)) $(FUZZ_HEADERS) \
		$(FUZZ_DEPS_$(1)) $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(HOSTCC) $(FUZZ_REPLAY_CFLAGS) $(FUZZ_FLAGS_$(1)) \
		-DFUZZ_REPLAY_DIRS='"$(FUZZ_SRC)/corpus/$(1):$(FUZZ_SRC)/regressions/$(1)"' $(FUZZ_SRC)/fuzz_$(1).c \
		$(FUZZ_SRC)/replay_main.c $(FUZZ_SRCS_$(1)) $(HOST_LDFLAGS) $(FUZZ_LIBS_$(1)) -o $$@

UNIT_TESTS += $(B)/host/tests/replay_$(1)
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call fuzz_harness,$(h))))

fuzz: $(FUZZ_SELECTED:%=$(FUZZ_DIR)/fuzz_%)
	@$(PYTHON) $(TOP)/scripts/fuzz.py --seconds $(FUZZ_SECONDS) --work $(FUZZ_DIR)/work --tests $(FUZZ_SRC) $^
