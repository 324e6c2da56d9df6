# The VMM library: portable parts (host-tested) and the glue to the kernel, as one static library
# that VMM PDs link.
VMM_SRCS := $(wildcard $(TOP)/vmm/src/*.c)
VMM_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(VMM_SRCS))
VMM_LIB := $(B)/vmm/libvmm.a
VMM_CFLAGS := $(PD_CFLAGS) -I$(TOP)/vmm/include -I$(TOP)/drivers

$(B)/vmm/src/%.o: $(TOP)/vmm/src/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(VMM_CFLAGS) -c $< -o $@

$(VMM_LIB): $(VMM_OBJS)
	rm -f $@ && $(CROSS)ar rcs $@ $^

ALL_TARGETS += $(VMM_LIB)
-include $(VMM_OBJS:.o=.d)

# Host unit tests of the portable parts (everything but the kernel glue in vmm.c).
VMM_PORTABLE := $(filter-out $(TOP)/vmm/src/vmm.c,$(VMM_SRCS))
$(B)/host/tests/test_vmm_core: $(TOP)/tests/unit/test_vmm_core.c $(VMM_PORTABLE) $(TOP)/drivers/serial/queue.c \
		$(TOP)/drivers/common/spsc.c $(wildcard $(TOP)/vmm/include/vmm/*.h) $(TOP)/drivers/serial/queue.h \
		$(TOP)/drivers/common/spsc.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(TOP)/vmm/include -I$(TOP)/drivers $(TOP)/tests/unit/test_vmm_core.c $(VMM_PORTABLE) \
		$(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_vmm_core

$(B)/host/tests/test_virtio_mmio: $(TOP)/tests/unit/test_virtio_mmio.c $(TOP)/vmm/src/virtio_mmio.c \
		$(TOP)/vmm/src/guest_ram.c $(wildcard $(TOP)/vmm/include/vmm/*.h) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(TOP)/vmm/include $(TOP)/tests/unit/test_virtio_mmio.c $(TOP)/vmm/src/virtio_mmio.c \
		$(TOP)/vmm/src/guest_ram.c $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_virtio_mmio

# The test lets the serial peers act just before the console's "signal me" requests (a race the
# console must survive by looking again), through the linker's --wrap.
VIRTIO_CONSOLE_TEST_WRAPS := -Wl,--wrap=serial_queue_request_space_signal -Wl,--wrap=serial_queue_request_data_signal
VIRTIO_CONSOLE_TEST_SRCS := $(TOP)/vmm/src/virtio_console.c $(TOP)/vmm/src/virtqueue.c $(TOP)/vmm/src/virtio_mmio.c \
	$(TOP)/vmm/src/guest_ram.c $(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c
$(B)/host/tests/test_virtio_console: $(TOP)/tests/unit/test_virtio_console.c $(VIRTIO_CONSOLE_TEST_SRCS) \
		$(wildcard $(TOP)/vmm/include/vmm/*.h) $(TOP)/drivers/serial/queue.h $(TOP)/drivers/common/spsc.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(TOP)/vmm/include -I$(TOP)/drivers $(TOP)/tests/unit/test_virtio_console.c \
		$(VIRTIO_CONSOLE_TEST_SRCS) $(HOST_LDFLAGS) $(VIRTIO_CONSOLE_TEST_WRAPS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_virtio_console
