# Serial framework, portable parts: the SPSC byte queue (on drivers/common's ring control), the RX
# input switch and router, the TX multiplexer, the configuration checks. The PDs (components/) are
# built further down.
SERIAL_SRCS := $(TOP)/drivers/serial/queue.c $(TOP)/drivers/serial/virt_rx.c $(TOP)/drivers/serial/virt_tx.c \
	$(TOP)/drivers/serial/serial_config.c
SERIAL_OBJS := $(patsubst $(TOP)/%.c,$(B)/%.o,$(SERIAL_SRCS))
SERIAL_LIB := $(B)/drivers/libserial.a
SERIAL_TEST_SRCS := $(SERIAL_SRCS) $(DRIVERS_COMMON_SRCS)
SERIAL_TEST_DEPS := $(SERIAL_TEST_SRCS) $(wildcard $(TOP)/drivers/serial/*.h) $(DRIVERS_COMMON_HDRS) \
	$(SPSC_RACE_DEPS) $(DEPS_STAMP)

$(B)/drivers/serial/%.o: $(TOP)/drivers/serial/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

$(SERIAL_LIB): $(SERIAL_OBJS) $(DRIVERS_COMMON_OBJS)
	rm -f $@ && $(CROSS)ar rcs $@ $^

# Both tests can play a peer that changes the indices between any two reads (SPSC_RACE).
$(B)/host/tests/test_serial: $(TOP)/tests/unit/test_serial.c $(SERIAL_TEST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(SPSC_RACE_CFLAGS) $(TOP)/tests/unit/test_serial.c $(SERIAL_TEST_SRCS) \
		$(SPSC_RACE) $(HOST_LDFLAGS) -lcmocka -o $@

$(B)/host/tests/test_serial_virt: $(TOP)/tests/unit/test_serial_virt.c $(SERIAL_TEST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(SPSC_RACE_CFLAGS) $(TOP)/tests/unit/test_serial_virt.c $(SERIAL_TEST_SRCS) \
		$(SPSC_RACE) $(HOST_LDFLAGS) -lcmocka -o $@

ALL_TARGETS += $(SERIAL_LIB)
UNIT_TESTS += $(B)/host/tests/test_serial $(B)/host/tests/test_serial_virt
-include $(SERIAL_OBJS:.o=.d)

# The serial PDs' programs: the UART driver (the board's chip: BOARD_DEBUG_UART in
# boards/<board>/board.mk) and the two virtualisers. Each PD of a system links one of them with
# its generated configuration (examples/example.mk); nothing here depends on a system.
SERIAL_UART_CHIP_pl011 := pl011
SERIAL_UART_CHIP_meson := meson_uart
SERIAL_UART_OBJ := $(B)/drivers/serial/$(SERIAL_UART_CHIP_$(BOARD_DEBUG_UART)).o
SERIAL_PD_DIR := $(B)/drivers/serial/components

$(SERIAL_PD_DIR)/%.o: $(TOP)/drivers/serial/components/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -c $< -o $@

PROGRAM_uart_driver_OBJS := $(SERIAL_PD_DIR)/uart_driver.o $(SERIAL_UART_OBJ) $(SERIAL_LIB)
PROGRAM_serial_virt_tx_OBJS := $(SERIAL_PD_DIR)/virt_tx.o $(SERIAL_LIB)
PROGRAM_serial_virt_rx_OBJS := $(SERIAL_PD_DIR)/virt_rx.o $(SERIAL_LIB)
ALL_TARGETS += $(SERIAL_PD_DIR)/uart_driver.o $(SERIAL_PD_DIR)/virt_tx.o $(SERIAL_PD_DIR)/virt_rx.o
-include $(wildcard $(SERIAL_PD_DIR)/*.d)

$(B)/host/tests/test_serial_config: $(TOP)/tests/unit/test_serial_config.c $(TOP)/drivers/serial/serial_config.c \
		$(TOP)/drivers/serial/serial_config.h $(TOP)/include/tessera/config.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(TOP)/tests/unit/test_serial_config.c $(TOP)/drivers/serial/serial_config.c \
		$(HOST_LDFLAGS) -lcmocka -o $@

UNIT_TESTS += $(B)/host/tests/test_serial_config
