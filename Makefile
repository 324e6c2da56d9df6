# Tessera: one build for the kernel, PD runtime, VMM library, drivers, tools, guest images and
# examples. `make help` lists the targets. Each layer adds its rules in its own <layer>/*.mk.

BOARD     ?= qemu_virt_aarch64
BUILD_DIR ?= build
EXAMPLE   ?= virtio
CONFIG    ?= debug

TOP       := $(abspath .)
# A board is its folder: boards/<board>/board.h and board.mk, nothing else to edit.
BOARDS := $(notdir $(patsubst %/board.h,%,$(wildcard $(TOP)/boards/*/board.h)))
ifeq ($(filter $(BOARD),$(BOARDS)),)
$(error BOARD=$(BOARD) is not one of: $(BOARDS))
endif

# Every board builds into its own folder: no object built for one board is linked for another.
B         := $(abspath $(BUILD_DIR))/$(BOARD)
BOARD_DIR := $(TOP)/boards/$(BOARD)

# Host tools and unit tests.
HOSTCC     ?= cc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I$(TOP)/include -I$(BOARD_DIR) \
               -fsanitize=address,undefined -fno-omit-frame-pointer
HOST_LDFLAGS := -fsanitize=address,undefined

# AArch64 freestanding code (kernel, PDs).
CROSS     ?= aarch64-linux-gnu-
CC_A64    := $(CROSS)gcc
LD_A64    := $(CROSS)ld
OBJCOPY_A64 := $(CROSS)objcopy
ifeq ($(CONFIG),debug)
CONFIG_CFLAGS := -DCONFIG_DEBUG=1 -O2 -g
else ifeq ($(CONFIG),release)
CONFIG_CFLAGS := -DCONFIG_DEBUG=0 -O2
else
$(error CONFIG=$(CONFIG) is not debug or release)
endif
A64_CFLAGS := -std=gnu11 $(CONFIG_CFLAGS) -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-builtin \
              -fno-stack-protector -fno-pic -mgeneral-regs-only -mstrict-align -mcpu=cortex-a53 \
              -I$(TOP)/include -I$(BOARD_DIR)

.DEFAULT_GOAL := all
PYTHON := /usr/bin/python3
QEMU   := qemu-system-aarch64

# Dependencies are installed on demand (scripts/deps.sh is idempotent and fast when satisfied).
DEPS_STAMP := $(B)/.deps-stamp
$(DEPS_STAMP): $(TOP)/scripts/deps.sh
	@bash $(TOP)/scripts/deps.sh
	@mkdir -p $(@D) && touch $@

.PHONY: all other-boards deps run test unit-test system-test bench stress fuzz clean help format
all:

deps: $(DEPS_STAMP)

# Artefacts shared between layers (one name each, so fragments can depend on them in any order).
DISK_IMAGE   := $(B)/disk.img
LINUX_IMAGE  := $(B)/guest/Image
INITRAMFS_DIR := $(B)/guest
MKSYSTEM     := $(B)/host/mksystem
MKDISK       := $(B)/host/mkdisk
KERNEL_ELF   := $(B)/kernel/kernel.elf
RUNTIME_LIB  := $(B)/runtime/libmicrokit.a

# Layers append to these.
UNIT_TESTS :=   # host test binaries (cmocka, TAP output)
ALL_TARGETS :=  # everything `make` builds
EXAMPLES :=     # examples/<name> with a run script at $(B)/examples/<name>/run.sh
BENCHES :=      # benchmark commands

# In dependency order: a fragment may use the variables of the layers before it in prerequisites.
LAYERS := lib kernel runtime vmm drivers tools guest examples tests
include $(foreach layer,$(LAYERS),$(sort $(wildcard $(TOP)/$(layer)/*.mk $(TOP)/$(layer)/*/*.mk)))

all: $(DEPS_STAMP) $(ALL_TARGETS)

# DISK=path boots with another disk image than the build's (which persists between runs).
run: $(DEPS_STAMP) $(B)/examples/$(EXAMPLE)/run.sh
	@$(if $(DISK),TESSERA_DISK=$(abspath $(DISK)) )exec $(B)/examples/$(EXAMPLE)/run.sh

unit-test: $(DEPS_STAMP) $(UNIT_TESTS)
	@$(PYTHON) $(TOP)/scripts/run-tests.py --build-dir $(B) --unit $(UNIT_TESTS)

# Every other board is built too (into its own folder), so that none silently stops building.
OTHER_BOARDS := $(filter-out $(BOARD),$(BOARDS))
other-boards:
	@$(foreach board,$(OTHER_BOARDS),$(MAKE) --no-print-directory BOARD=$(board) BUILD_DIR=$(BUILD_DIR) all &&) true

# System tests boot examples under QEMU; they need everything built.
test: all other-boards $(UNIT_TESTS)
	@$(PYTHON) $(TOP)/scripts/run-tests.py --build-dir $(B) --unit $(UNIT_TESTS) --system $(TOP)/tests/system

system-test: all
	@$(PYTHON) $(TOP)/scripts/run-tests.py --build-dir $(B) --system $(TOP)/tests/system

bench: all
	@$(PYTHON) $(TOP)/scripts/bench.py --build-dir $(B)$(if $(ONLY), --only $(ONLY))

# Minutes of @N switching and commands on the console example (not part of `make test`).
stress: all
	@TESSERA_BUILD_DIR=$(B) $(PYTHON) $(TOP)/scripts/stress-console.py --gdb $(if $(ROUNDS),--rounds $(ROUNDS))

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(B)

help:
	@echo "make [BOARD=$(BOARDS)] [BUILD_DIR=build] [EXAMPLE=name] [CONFIG=debug|release]"
	@echo "  make         build everything (installs missing Debian packages first)"
	@echo "  make run     boot EXAMPLE under QEMU on this terminal (Ctrl-a x quits)"
	@echo "  make test    host unit tests + system tests under QEMU; last line: N passed, N failed"
	@echo "  make bench   benchmarks, as ratios against a baseline run in the same invocation (ONLY=kernel|boot|console|block)"
	@echo "  make stress  minutes of @N switching and commands on the console example (ROUNDS=60)"
	@echo "  make fuzz    every libFuzzer harness for FUZZ_SECONDS each (60), one after another (FUZZ=a,b: some)"
	@echo "  examples: $(EXAMPLES)"
