# PD runtime (libmicrokit API): a static library, the entry object and the link script.
RUNTIME_SRCS := $(wildcard $(TOP)/runtime/src/*.c)
RUNTIME_ASM  := $(filter-out %/crt0.S,$(wildcard $(TOP)/runtime/src/*.S))
RUNTIME_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(RUNTIME_SRCS)) $(patsubst $(TOP)/%.S,$(B)/%.o,$(RUNTIME_ASM)) \
                $(B)/runtime/lib/format.o
RUNTIME_CRT0 := $(B)/runtime/crt0.o
PD_CFLAGS := $(A64_CFLAGS) -I$(TOP)/runtime/include -MMD -MP
# For PD programs that use floating point or SIMD: the kernel switches FP/SIMD state lazily per
# thread (kernel/arch/aarch64/switch.c), so PDs may use it. The runtime and the kernel stay
# general-registers-only, so neither touches a PD's FP state (nor pays for a first-use trap).
PD_FP_CFLAGS := $(filter-out -mgeneral-regs-only,$(PD_CFLAGS))
PD_LDSCRIPT := $(TOP)/runtime/pd.ld

$(B)/runtime/src/%.o: $(TOP)/runtime/src/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(B)/runtime/src/%.o: $(TOP)/runtime/src/%.S $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(B)/runtime/lib/%.o: $(TOP)/lib/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(RUNTIME_CRT0): $(TOP)/runtime/src/crt0.S $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(RUNTIME_LIB): $(RUNTIME_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(CROSS)ar rcs $@ $^

ALL_TARGETS += $(RUNTIME_LIB) $(RUNTIME_CRT0)
-include $(RUNTIME_OBJS:.o=.d)

# $(call pd_link,output.elf,objects...): link a PD program with the runtime.
pd_link = $(LD_A64) -nostdlib -static -T $(PD_LDSCRIPT) --no-warn-rwx-segments $(RUNTIME_CRT0) $(2) $(RUNTIME_LIB) -o $(1)

# Host unit test of the runtime over a fake kernel (tests/unit/fake_runtime is found before
# include/, so its <tessera/syscall.h> replaces the `svc` stubs).
RUNTIME_HOST_SRCS := $(addprefix $(TOP)/runtime/src/,main.c debug.c crash.c smc.c config.c) $(TOP)/lib/format.c
RUNTIME_HOST_DEPS := $(RUNTIME_HOST_SRCS) $(wildcard $(TOP)/runtime/src/*.h $(TOP)/runtime/include/*.h \
                     $(TOP)/include/sel4/*.h $(TOP)/tests/unit/fake_runtime/*.h $(TOP)/tests/unit/fake_runtime/*/*.h)
$(B)/host/tests/test_runtime: $(TOP)/tests/unit/test_runtime.c $(RUNTIME_HOST_DEPS) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) -I$(TOP)/tests/unit/fake_runtime $(HOST_CFLAGS) -DCONFIG_DEBUG=1 -I$(TOP)/runtime/include \
		-include $(TOP)/tests/unit/fake_runtime/runtime_host.h $< $(RUNTIME_HOST_SRCS) $(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_runtime
