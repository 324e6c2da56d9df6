# Guest images: one Linux kernel Image for every VM, and one BusyBox initramfs per role.
#
# Other layers put their programs into a role's image by appending HOST_PATH:IMAGE_PATH pairs to
# GUEST_FILES_<role> in their own fragment (layers before guest/, e.g. drivers/), e.g.
#   GUEST_FILES_blkdriver += $(B)/drivers/blk/tessera-blk-uio:/usr/sbin/tessera-blk-uio
# The image is rebuilt when such a file changes.

# The cached kernel build (guest/linux/build.sh) also writes $(LINUX_IMAGE).config.
$(LINUX_IMAGE): $(TOP)/guest/linux/build.sh $(TOP)/guest/linux/tessera.config $(DEPS_STAMP)
	@bash $(TOP)/guest/linux/build.sh $@

GUEST_INITRAMFS_INPUTS := $(TOP)/guest/initramfs/build.py $(DEPS_STAMP) $(wildcard /bin/busybox) \
	$(shell find $(TOP)/guest/initramfs/common $(TOP)/guest/initramfs/roles -type f)

# The host paths of a role's extra files: guest_files_src(role).
guest_files_src = $(foreach f,$(GUEST_FILES_$(1)),$(firstword $(subst :, ,$(f))))
GUEST_INITRAMFS_RECIPE = @echo "initramfs: $@"; \
	$(PYTHON) $(TOP)/guest/initramfs/build.py $(1) $@ $(addprefix --file ,$(GUEST_FILES_$(1)))

$(INITRAMFS_DIR)/initramfs-client.cpio.gz: $(GUEST_INITRAMFS_INPUTS) $(call guest_files_src,client)
	$(call GUEST_INITRAMFS_RECIPE,client)

$(INITRAMFS_DIR)/initramfs-blkdriver.cpio.gz: $(GUEST_INITRAMFS_INPUTS) $(call guest_files_src,blkdriver)
	$(call GUEST_INITRAMFS_RECIPE,blkdriver)

$(INITRAMFS_DIR)/initramfs-baseline.cpio.gz: $(GUEST_INITRAMFS_INPUTS) $(call guest_files_src,baseline)
	$(call GUEST_INITRAMFS_RECIPE,baseline)

GUEST_INITRAMFS := $(foreach r,client blkdriver baseline,$(INITRAMFS_DIR)/initramfs-$(r).cpio.gz)
ALL_TARGETS += $(LINUX_IMAGE) $(GUEST_INITRAMFS)
