# Guest images: one Linux kernel for every VM, and one initramfs per role.
GUEST_ROLES := client blkdriver baseline
GUEST_INITRAMFS := $(foreach r,$(GUEST_ROLES),$(INITRAMFS_DIR)/initramfs-$(r).cpio.gz)

$(LINUX_IMAGE): $(TOP)/guest/linux/build.sh $(TOP)/guest/linux/tessera.config $(DEPS_STAMP)
	@bash $(TOP)/guest/linux/build.sh $@

$(INITRAMFS_DIR)/initramfs-%.cpio.gz: $(TOP)/guest/initramfs/build.py $(DEPS_STAMP) \
		$(shell find $(TOP)/guest/initramfs/common $(TOP)/guest/initramfs/roles -type f)
	$(PYTHON) $(TOP)/guest/initramfs/build.py $* $@

ALL_TARGETS += $(LINUX_IMAGE) $(GUEST_INITRAMFS)
