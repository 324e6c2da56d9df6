# Every example with a description (examples/<name>/system.py) is built by this one template:
#   tools/sysgen turns the description into <name>.system, one configuration file per PD, each
#   guest's device tree and a make fragment naming each PD's program (all in $(B)/examples/<name>/gen);
#   each PD's program is linked with its own configuration (and, for a VMM, its guest's images);
#   mksystem packs them into system.elf; run.sh boots it under QEMU.
# A PD runs a program named in the description: a C file of the example (examples/<name>/<program>.c,
# linked with the VMM and serial libraries) or a component another layer provides as
# PROGRAM_<program>_OBJS (drivers/serial/serial.mk: uart_driver, serial_virt_tx, serial_virt_rx).
# SET="key=value ..." passes settings to the description of EXAMPLE (see its docstring).
# EXTRA_EXAMPLES=dir... builds descriptions from other directories too (a test's variants).

SYSGEN := $(TOP)/tools/sysgen/sysgen.py
SYSGEN_SRCS := $(wildcard $(TOP)/tools/sysgen/*.py)
GUEST_DTB_S := $(TOP)/examples/common/guest_dtb.S
GUEST_IMAGES_S := $(TOP)/examples/common/guest_images.S
EXAMPLE_CFLAGS := $(VMM_CFLAGS) -I$(TOP)/examples/common

# The lines of run.sh that give a system QEMU's virtio-blk on the disk image (recursive: the
# $$ stays for the shell until the recipe uses it).
EXAMPLE_DISK_LINES = '  -drive file=$${TESSERA_DISK:-$(DISK_IMAGE)},format=raw,if=none,id=drive0 \' \
	'  -device virtio-blk-device,drive=drive0 \'

# $(call example_pd,example,pd): the rules of one PD's program.
define example_pd
$(1)_PD_$(2)_OBJS := $$(or $$($(1)_PROGRAM_$$($(1)_PD_$(2)_PROGRAM)_OBJS),$$(PROGRAM_$$($(1)_PD_$(2)_PROGRAM)_OBJS))
$(1)_PD_$(2)_LINK := $$($(1)_PD_$(2)_OBJS) $$($(1)_OUT)/$(2)_config.o \
	$$(if $$($(1)_PD_$(2)_VM),$$($(1)_OUT)/$(2)_dtb.o $$($(1)_OUT)/images-$$($(1)_PD_$(2)_ROLE).o)
ifeq ($$($(1)_PD_$(2)_OBJS),)
$$(error example $(1): PD $(2) runs program "$$($(1)_PD_$(2)_PROGRAM)", which is neither $$($(1)_SRC)/$$($(1)_PD_$(2)_PROGRAM).c nor a component)
endif

$$($(1)_OUT)/$(2)_config.o: $$($(1)_GEN)/$(2)_config.c $(DEPS_STAMP)
	$(CC_A64) $(EXAMPLE_CFLAGS) -c $$< -o $$@

$$($(1)_OUT)/$(2).elf: $$($(1)_PD_$(2)_LINK) $(RUNTIME_LIB) $(RUNTIME_CRT0)
	$$(call pd_link,$$@,$$($(1)_PD_$(2)_LINK))

$(1)_ELFS += $$($(1)_OUT)/$(2).elf

ifneq ($$($(1)_PD_$(2)_VM),)
$$($(1)_OUT)/$(2)_dtb.o: $(GUEST_DTB_S) $$(foreach v,$$($(1)_GIC_VERSIONS),$$($(1)_OUT)/$$($(1)_PD_$(2)_VM)-gicv$$(v).dtb)
	$(CC_A64) $(A64_CFLAGS) -DGUEST_DTB='"$$($(1)_OUT)/$$($(1)_PD_$(2)_VM)-gicv2.dtb"' \
		$$(if $$(filter 3,$$($(1)_GIC_VERSIONS)),-DGUEST_DTB_GICV3='"$$($(1)_OUT)/$$($(1)_PD_$(2)_VM)-gicv3.dtb"') \
		-c $$< -o $$@
$(1)_ROLES += $$($(1)_PD_$(2)_ROLE)
endif
endef

# $(call example_program,example,source.c): an example's own program.
define example_program
$(1)_PROGRAM_$(basename $(notdir $(2)))_OBJS := $$($(1)_OUT)/$(basename $(notdir $(2))).o $(VMM_LIB) $(SERIAL_LIB) $(BLK_LIB)

$$($(1)_OUT)/$(basename $(notdir $(2))).o: $(2) $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$(CC_A64) $(EXAMPLE_CFLAGS) -c $$< -o $$@
-include $$($(1)_OUT)/$(basename $(notdir $(2))).d
endef

# $(call example_role,example,role): the guest kernel and the role's initramfs, as one object.
define example_role
$$($(1)_OUT)/images-$(2).o: $(GUEST_IMAGES_S) $(LINUX_IMAGE) $(INITRAMFS_DIR)/initramfs-$(2).cpio.gz
	$(CC_A64) $(A64_CFLAGS) -DGUEST_KERNEL='"$(LINUX_IMAGE)"' -DGUEST_INITRD='"$(INITRAMFS_DIR)/initramfs-$(2).cpio.gz"' \
		-c $$< -o $$@
endef

# $(call example,name,source directory)
define example
$(1)_SRC := $(2)
$(1)_OUT := $(B)/examples/$(1)
$(1)_GEN := $$($(1)_OUT)/gen
$(1)_SET := $$(if $$(filter $(1),$(EXAMPLE)),$(SET))
$(1)_ELFS :=
$(1)_ROLES :=

# The settings are an input of the generator: regenerate when they change.
$$(shell mkdir -p $$($(1)_GEN) && [ -f $$($(1)_GEN)/settings ] && \
	[ "$$$$(cat $$($(1)_GEN)/settings)" = "$$($(1)_SET)" ] || \
	printf '%s\n' "$$($(1)_SET)" > $$($(1)_GEN)/settings)

# One run of the generator writes every file of gen/ (each only if its text changed); system.mk
# is the stamp the others hang on.
$$($(1)_GEN)/system.mk: $(2)/system.py $(SYSGEN_SRCS) $(BOARD_DIR)/board.h $$($(1)_GEN)/settings
	$(PYTHON) $(SYSGEN) --board $(BOARD_DIR)/board.h --description $(2)/system.py --name $(1) \
		--out $$($(1)_GEN) $$(if $$($(1)_SET),--set "$$($(1)_SET)")
	@touch $$@
$$($(1)_GEN)/$(1).system: $$($(1)_GEN)/system.mk ;
$$($(1)_GEN)/%_config.c: $$($(1)_GEN)/system.mk ;
$$($(1)_GEN)/%.dts: $$($(1)_GEN)/system.mk ;

include $$($(1)_GEN)/system.mk

$$(foreach c,$$(wildcard $(2)/*.c),$$(eval $$(call example_program,$(1),$$(c))))
$$(foreach pd,$$($(1)_PDS),$$(eval $$(call example_pd,$(1),$$(pd))))
$$(foreach role,$$(sort $$($(1)_ROLES)),$$(eval $$(call example_role,$(1),$$(role))))

$$($(1)_OUT)/%.dtb: $$($(1)_GEN)/%.dts $(DEPS_STAMP)
	dtc -q -I dts -O dtb -o $$@ $$<

$$($(1)_OUT)/system.elf: $$($(1)_GEN)/$(1).system $$($(1)_ELFS) $(KERNEL_ELF) $(MKSYSTEM)
	$(MKSYSTEM) $$< --kernel $(KERNEL_ELF) --search-path $$($(1)_OUT) -o $$@ --report $$($(1)_OUT)/report.txt

# A system whose driver VM drives the disk gets QEMU's virtio-blk on the disk image
# (TESSERA_DISK, else the build's, which persists between runs).
$$($(1)_OUT)/run.sh: $(TOP)/examples/example.mk $$($(1)_OUT)/system.elf $$(if $$($(1)_USES_DISK),$(DISK_IMAGE))
	@printf '%s\n' '#!/bin/sh' \
		'# Generated by make: boot the $(1) example on Tessera. Extra arguments go to QEMU.' \
		'exec $(QEMU) -machine $(BOARD_QEMU_MACHINE) -cpu $(BOARD_QEMU_CPU) -m $(BOARD_QEMU_MEM) -nographic \' \
		$$(if $$($(1)_USES_DISK),$$(EXAMPLE_DISK_LINES)) \
		'  -serial mon:stdio -nic none -kernel $$($(1)_OUT)/system.elf "$$$$@"' > $$@
	@chmod +x $$@

EXAMPLES += $(1)
ALL_TARGETS += $$($(1)_OUT)/run.sh
endef

EXAMPLE_DIRS := $(patsubst %/system.py,%,$(wildcard $(TOP)/examples/*/system.py)) $(abspath $(EXTRA_EXAMPLES))
$(foreach dir,$(EXAMPLE_DIRS),$(eval $(call example,$(notdir $(dir)),$(dir))))
