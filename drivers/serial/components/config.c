/* The virtualisers' tables: initialised data, so the .system tool can patch them. */
#include "config.h"

uint64_t driver_queue __attribute__((section(".data"))) = 0;
uint64_t driver_data __attribute__((section(".data"))) = 0;
uint64_t driver_data_size __attribute__((section(".data"))) = 0;
uint64_t client_queue[SERIAL_MAX_CLIENTS] __attribute__((section(".data"))) = {0};
uint64_t client_data[SERIAL_MAX_CLIENTS] __attribute__((section(".data"))) = {0};
uint64_t client_data_size[SERIAL_MAX_CLIENTS] __attribute__((section(".data"))) = {0};
uint64_t notice_queue __attribute__((section(".data"))) = 0;
uint64_t notice_data __attribute__((section(".data"))) = 0;
uint64_t notice_data_size __attribute__((section(".data"))) = 0;

unsigned serial_config_client_count(void)
{
    unsigned n = 0;
    while (n < SERIAL_MAX_CLIENTS && client_queue[n] != 0) {
        n++;
    }
    return n;
}
