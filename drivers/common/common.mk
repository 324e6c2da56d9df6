# Pieces every driver framework shares (portable: PDs, the VMM library, host tests). Each
# framework's library takes DRIVERS_COMMON_OBJS in, so a PD needs no extra library to link.
DRIVERS_COMMON_SRCS := $(TOP)/drivers/common/spsc.c
DRIVERS_COMMON_HDRS := $(TOP)/drivers/common/spsc.h
DRIVERS_COMMON_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(DRIVERS_COMMON_SRCS))

$(B)/drivers/common/%.o: $(TOP)/drivers/common/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

# Host tests of ring code build it with SPSC_RACE_CFLAGS and link SPSC_RACE: a peer that can act
# between any two reads of shared memory (tests/unit/spsc_race.h), inert until a test arms it.
SPSC_RACE := $(TOP)/tests/unit/spsc_race.c
SPSC_RACE_CFLAGS := -include $(TOP)/tests/unit/spsc_race.h
SPSC_RACE_DEPS := $(SPSC_RACE) $(TOP)/tests/unit/spsc_race.h

$(B)/host/tests/test_spsc: $(TOP)/tests/unit/test_spsc.c $(DRIVERS_COMMON_SRCS) $(DRIVERS_COMMON_HDRS) \
		$(SPSC_RACE_DEPS) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(SPSC_RACE_CFLAGS) $(TOP)/tests/unit/test_spsc.c $(DRIVERS_COMMON_SRCS) $(SPSC_RACE) \
		$(HOST_LDFLAGS) -lcmocka -o $@

ALL_TARGETS += $(DRIVERS_COMMON_OBJS)
UNIT_TESTS += $(B)/host/tests/test_spsc
-include $(DRIVERS_COMMON_OBJS:.o=.d)
