# UART chip drivers (register level, portable): uart_hw.h implemented by pl011.c and meson_uart.c. A board links
# exactly one, chosen by BOARD_DEBUG_UART (boards/<board>/board.mk): SERIAL_UART_OBJ in serial.mk.
# Both objects build for every board (serial.mk's $(B)/drivers/serial/%.o rule) so each keeps compiling for the
# target; both chips are unit-tested on the host against a model of their registers (tests/unit/test_uart.c).
UART_CHIP_OBJS := $(B)/drivers/serial/pl011.o $(B)/drivers/serial/meson_uart.o
UART_HW_HDRS := $(TOP)/drivers/serial/uart_hw.h $(TOP)/drivers/serial/pl011.h $(TOP)/drivers/serial/meson_uart.h

$(B)/host/tests/test_uart_pl011: $(TOP)/tests/unit/test_uart.c $(TOP)/drivers/serial/pl011.c $(UART_HW_HDRS) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -DUART_CHIP_PL011 -DUART_HW_FAKE $(TOP)/tests/unit/test_uart.c $(TOP)/drivers/serial/pl011.c $(HOST_LDFLAGS) -lcmocka -o $@

$(B)/host/tests/test_uart_meson: $(TOP)/tests/unit/test_uart.c $(TOP)/drivers/serial/meson_uart.c $(UART_HW_HDRS) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -DUART_CHIP_MESON -DUART_HW_FAKE $(TOP)/tests/unit/test_uart.c $(TOP)/drivers/serial/meson_uart.c $(HOST_LDFLAGS) -lcmocka -o $@

ALL_TARGETS += $(UART_CHIP_OBJS)
UNIT_TESTS += $(B)/host/tests/test_uart_pl011 $(B)/host/tests/test_uart_meson
-include $(UART_CHIP_OBJS:.o=.d)
