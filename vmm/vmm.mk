# The VMM library: portable parts (host-tested) and the glue to the kernel, as one static library
# that VMM PDs link. A VMM with a virtio block device (virtio_blk.c) also links $(BLK_LIB), for
# the block queues and the storage-info region (drivers/blk/blk.mk).
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

# Host unit tests of the portable parts (everything but the kernel glue in vmm.c), one binary per
# module: $(call vmm_host_test,<test name>,<sources under test and helpers>,<extra link flags>).
VMM_TEST_HEADERS := $(wildcard $(TOP)/vmm/include/vmm/*.h) $(wildcard $(TOP)/vmm/src/*.h) \
	$(TOP)/tests/unit/fake_virtio_driver.h $(TOP)/drivers/serial/queue.h $(TOP)/drivers/common/spsc.h \
	$(wildcard $(TOP)/drivers/blk/*.h)
define vmm_host_test
$(B)/host/tests/$(1): $(TOP)/tests/unit/$(1).c $(2) $(VMM_TEST_HEADERS) $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(TOP)/vmm/include -I$(TOP)/drivers $(TOP)/tests/unit/$(1).c $(2) $(HOST_LDFLAGS) \
		$(3) -lcmocka -o $$@

UNIT_TESTS += $(B)/host/tests/$(1)
endef

VMM_SRC := $(TOP)/vmm/src
FAKE_VIRTIO_DRIVER := $(TOP)/tests/unit/fake_virtio_driver.c
VIRTIO_TRANSPORT := $(VMM_SRC)/virtio_mmio.c $(VMM_SRC)/guest_ram.c

$(eval $(call vmm_host_test,test_vmm_core,$(VMM_SRC)/mmio_decode.c $(VMM_SRC)/vgic.c $(VMM_SRC)/vgic_v2.c \
	$(VMM_SRC)/psci.c $(VMM_SRC)/fdt.c $(VMM_SRC)/linux.c))
# Device-tree patching against blobs whose header lies about their layout.
$(eval $(call vmm_host_test,test_fdt,$(VMM_SRC)/fdt.c))
$(eval $(call vmm_host_test,test_vgic_v3,$(VMM_SRC)/vgic.c $(VMM_SRC)/vgic_v2.c $(VMM_SRC)/vgic_v3.c))
$(eval $(call vmm_host_test,test_mmio_registry,$(VMM_SRC)/mmio_registry.c))
$(eval $(call vmm_host_test,test_virtio_mmio,$(VIRTIO_TRANSPORT) $(FAKE_VIRTIO_DRIVER)))
$(eval $(call vmm_host_test,test_virtqueue,$(VMM_SRC)/virtqueue.c $(VIRTIO_TRANSPORT) $(FAKE_VIRTIO_DRIVER)))

# The console test lets the serial peers act just before the console's "signal me" requests (a
# race the console must survive by looking again), through the linker's --wrap.
VIRTIO_CONSOLE_TEST_WRAPS := -Wl,--wrap=serial_queue_request_space_signal -Wl,--wrap=serial_queue_request_data_signal
$(eval $(call vmm_host_test,test_virtio_console,$(VMM_SRC)/virtio_console.c $(VMM_SRC)/virtqueue.c \
	$(VIRTIO_TRANSPORT) $(TOP)/drivers/serial/queue.c $(TOP)/drivers/common/spsc.c $(FAKE_VIRTIO_DRIVER),\
	$(VIRTIO_CONSOLE_TEST_WRAPS)))
# The block device's test plays the block virtualiser on the host queues, over a model disk.
$(eval $(call vmm_host_test,test_virtio_blk,$(VMM_SRC)/virtio_blk.c $(VMM_SRC)/virtqueue.c $(VIRTIO_TRANSPORT) \
	$(TOP)/drivers/blk/queue.c $(TOP)/drivers/blk/storage_info.c $(TOP)/drivers/common/spsc.c $(FAKE_VIRTIO_DRIVER)))
$(eval $(call vmm_host_test,test_vmm_config,$(VMM_SRC)/vmm_config.c))
