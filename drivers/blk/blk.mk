# Block framework, portable parts: the block queues over the shared ring, the storage-info
# region, the MBR parser, the block virtualiser's core and the configuration checks; and the
# block virtualiser's program (linked per system with its generated configuration).
BLK_SRCS := $(TOP)/drivers/blk/queue.c $(TOP)/drivers/blk/storage_info.c $(TOP)/drivers/blk/mbr.c \
	$(TOP)/drivers/blk/virt.c $(TOP)/drivers/blk/blk_config.c $(TOP)/drivers/blk/server.c
BLK_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(BLK_SRCS))
BLK_LIB := $(B)/drivers/libblk.a
BLK_PD_DIR := $(B)/drivers/blk/components
# The shared ring (drivers/common/common.mk is read after this file, so its names are not set yet).
BLK_RING_SRCS := $(TOP)/drivers/common/spsc.c
BLK_RING_OBJS := $(B)/drivers/common/spsc.o

$(B)/drivers/blk/%.o: $(TOP)/drivers/blk/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(BLK_LIB): $(BLK_OBJS) $(BLK_RING_OBJS)
	rm -f $@ && $(CROSS)ar rcs $@ $^

$(BLK_PD_DIR)/%.o: $(TOP)/drivers/blk/components/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

PROGRAM_blk_virt_OBJS := $(BLK_PD_DIR)/virt.o $(BLK_LIB)
ALL_TARGETS += $(BLK_LIB) $(BLK_PD_DIR)/virt.o
-include $(BLK_OBJS:.o=.d) $(wildcard $(BLK_PD_DIR)/*.d)

$(B)/host/tests/test_blk_virt: $(TOP)/tests/unit/test_blk_virt.c $(BLK_SRCS) $(BLK_RING_SRCS) \
		$(wildcard $(TOP)/drivers/blk/*.h) $(TOP)/drivers/common/spsc.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_blk_virt.c $(BLK_SRCS) $(BLK_RING_SRCS) \
		$(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_blk_virt

$(B)/host/tests/test_blk_server: $(TOP)/tests/unit/test_blk_server.c $(TOP)/drivers/blk/server.c $(TOP)/drivers/blk/queue.c \
		$(BLK_RING_SRCS) $(wildcard $(TOP)/drivers/blk/*.h) $(TOP)/drivers/common/spsc.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_blk_server.c $(TOP)/drivers/blk/server.c $(TOP)/drivers/blk/queue.c \
		$(BLK_RING_SRCS) $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_blk_server

$(B)/host/tests/test_blk_config: $(TOP)/tests/unit/test_blk_config.c $(TOP)/drivers/blk/blk_config.c \
		$(TOP)/drivers/blk/queue.c $(BLK_RING_SRCS) $(wildcard $(TOP)/drivers/blk/*.h) $(TOP)/include/tessera/config.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_blk_config.c $(TOP)/drivers/blk/blk_config.c $(TOP)/drivers/blk/queue.c \
		$(BLK_RING_SRCS) $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_blk_config

# The driver VM's block server: a static Linux program in the blkdriver initramfs.
BLK_SERVER := $(B)/drivers/blk/tessera-blk-uio
BLK_SERVER_SRCS := $(TOP)/drivers/blk/uio/blk_uio_server.c $(TOP)/drivers/blk/server.c $(TOP)/drivers/blk/queue.c \
	$(TOP)/drivers/blk/storage_info.c $(BLK_RING_SRCS)
$(BLK_SERVER): $(BLK_SERVER_SRCS) $(wildcard $(TOP)/drivers/blk/*.h) $(TOP)/drivers/common/spsc.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) -std=gnu11 -O2 -Wall -Wextra -Werror -static -I$(TOP)/include $(BLK_SERVER_SRCS) -o $@

GUEST_FILES_blkdriver += $(BLK_SERVER):/usr/sbin/tessera-blk-uio
ALL_TARGETS += $(BLK_SERVER)
