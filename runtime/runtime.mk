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
