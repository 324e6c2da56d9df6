# The VMM library: portable parts (host-tested) and the glue to the kernel, as one static library
# that VMM PDs link.
VMM_SRCS := $(wildcard $(TOP)/vmm/src/*.c)
VMM_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(VMM_SRCS))
VMM_LIB := $(B)/vmm/libvmm.a
VMM_CFLAGS := $(PD_CFLAGS) -I$(TOP)/vmm/include

$(B)/vmm/src/%.o: $(TOP)/vmm/src/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(VMM_CFLAGS) -c $< -o $@

$(VMM_LIB): $(VMM_OBJS)
	rm -f $@ && $(CROSS)ar rcs $@ $^

ALL_TARGETS += $(VMM_LIB)
-include $(VMM_OBJS:.o=.d)
