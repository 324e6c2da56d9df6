# Serial framework (portable parts so far): the SPSC byte queue and the RX input switch.
SERIAL_SRCS := $(TOP)/drivers/serial/queue.c $(TOP)/drivers/serial/virt_rx.c
SERIAL_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(SERIAL_SRCS))
SERIAL_LIB := $(B)/drivers/libserial.a

$(B)/drivers/serial/%.o: $(TOP)/drivers/serial/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(SERIAL_LIB): $(SERIAL_OBJS)
	rm -f $@ && $(CROSS)ar rcs $@ $^

$(B)/host/tests/test_serial: $(TOP)/tests/unit/test_serial.c $(SERIAL_SRCS) $(wildcard $(TOP)/drivers/serial/*.h) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_serial.c $(SERIAL_SRCS) $(HOST_LDFLAGS) -lcmocka -o $@

ALL_TARGETS += $(SERIAL_LIB)
UNIT_TESTS += $(B)/host/tests/test_serial
-include $(SERIAL_OBJS:.o=.d)
