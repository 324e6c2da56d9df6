/* The board's debug UART, polled. One implementation per UART type, chosen by the board. */
#pragma once

void debug_uart_putc(char c);
