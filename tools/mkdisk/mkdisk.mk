# The disk-image tool and the example disk: two FAT partitions of 127 MiB, room for the block
# benchmarks (made once: it persists between runs, like a real disk).
$(MKDISK): $(TOP)/tools/mkdisk/mkdisk.c $(TOP)/drivers/blk/mbr.c $(TOP)/drivers/blk/mbr.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tools/mkdisk/mkdisk.c $(TOP)/drivers/blk/mbr.c $(HOST_LDFLAGS) -o $@

$(DISK_IMAGE): | $(MKDISK)
	$(MKDISK) --size-mib 256 $@

ALL_TARGETS += $(MKDISK) $(DISK_IMAGE)

$(B)/host/tests/test_mbr: $(TOP)/tests/unit/test_mbr.c $(TOP)/drivers/blk/mbr.c $(TOP)/drivers/blk/mbr.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_mbr.c $(TOP)/drivers/blk/mbr.c $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_mbr
