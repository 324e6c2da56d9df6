# Serial framework, portable parts: the SPSC byte queue (on drivers/common's ring control), the RX
# input switch and router, the TX multiplexer. The PDs (components/) are built further down.
SERIAL_SRCS := $(TOP)/drivers/serial/queue.c $(TOP)/drivers/serial/virt_rx.c $(TOP)/drivers/serial/virt_tx.c
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

# The serial PDs: the UART driver (the board's chip: BOARD_DEBUG_UART in boards/<board>/board.mk)
# and the two virtualisers. Build settings: SERIAL_TX_COLOURS (SGR codes, client 1 first),
# SERIAL_SWITCH_CHAR (a C character literal) and SERIAL_RX_PATIENCE_MS (how long a client may read
# nothing while input waits for it before that input is dropped).
SERIAL_TX_COLOURS ?= 32,31,33,34,35,36,92,91
SERIAL_SWITCH_CHAR ?= '@'
SERIAL_RX_PATIENCE_MS ?= 5000
SERIAL_UART_CHIP_pl011 := pl011
SERIAL_UART_CHIP_meson := meson_uart
SERIAL_UART_OBJ := $(B)/drivers/serial/$(SERIAL_UART_CHIP_$(BOARD_DEBUG_UART)).o
SERIAL_PD_DIR := $(B)/drivers/serial/components
SERIAL_PDS := $(SERIAL_PD_DIR)/uart_driver.elf $(SERIAL_PD_DIR)/serial_virt_tx.elf $(SERIAL_PD_DIR)/serial_virt_rx.elf

# The settings are compiled in: rebuild when they change.
SERIAL_SETTINGS := $(SERIAL_PD_DIR)/settings
SERIAL_SETTINGS_TEXT := colours=$(SERIAL_TX_COLOURS) switch=$(SERIAL_SWITCH_CHAR) patience=$(SERIAL_RX_PATIENCE_MS)
$(shell mkdir -p $(SERIAL_PD_DIR) && [ "$$(cat $(SERIAL_SETTINGS) 2>/dev/null)" = "$(SERIAL_SETTINGS_TEXT)" ] || \
	printf '%s\n' "$(SERIAL_SETTINGS_TEXT)" > $(SERIAL_SETTINGS))

$(SERIAL_PD_DIR)/%.o: $(TOP)/drivers/serial/components/%.c $(SERIAL_SETTINGS) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC_A64) $(PD_CFLAGS) -DSERIAL_TX_COLOURS='"$(SERIAL_TX_COLOURS)"' -DSERIAL_SWITCH_CHAR="$(SERIAL_SWITCH_CHAR)" \
		-DSERIAL_RX_PATIENCE_MS=$(SERIAL_RX_PATIENCE_MS) -c $< -o $@

$(SERIAL_PD_DIR)/uart_driver.elf: $(SERIAL_PD_DIR)/uart_driver.o $(SERIAL_UART_OBJ) $(SERIAL_LIB) $(RUNTIME_LIB) $(RUNTIME_CRT0)
	$(call pd_link,$@,$(SERIAL_PD_DIR)/uart_driver.o $(SERIAL_UART_OBJ) $(SERIAL_LIB))

$(SERIAL_PD_DIR)/serial_virt_%.elf: $(SERIAL_PD_DIR)/virt_%.o $(SERIAL_PD_DIR)/config.o $(SERIAL_LIB) $(RUNTIME_LIB) $(RUNTIME_CRT0)
	$(call pd_link,$@,$(SERIAL_PD_DIR)/virt_$*.o $(SERIAL_PD_DIR)/config.o $(SERIAL_LIB))

ALL_TARGETS += $(SERIAL_PDS)
-include $(wildcard $(SERIAL_PD_DIR)/*.d)
