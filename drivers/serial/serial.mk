# Serial framework, portable parts: the SPSC byte queue, the RX input switch and router, the TX
# multiplexer. The PDs built from them are in drivers/serial/components.mk.
SERIAL_SRCS := $(TOP)/drivers/serial/queue.c $(TOP)/drivers/serial/virt_rx.c $(TOP)/drivers/serial/virt_tx.c
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

$(B)/host/tests/test_serial_virt: $(TOP)/tests/unit/test_serial_virt.c $(SERIAL_SRCS) $(wildcard $(TOP)/drivers/serial/*.h) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_serial_virt.c $(SERIAL_SRCS) $(HOST_LDFLAGS) -lcmocka -o $@

ALL_TARGETS += $(SERIAL_LIB)
UNIT_TESTS += $(B)/host/tests/test_serial $(B)/host/tests/test_serial_virt
-include $(SERIAL_OBJS:.o=.d)
