/* The virtualisers' tables: initialised data, so the .system tool can patch them. */
#include <microkit.h>
#include <tessera/printf.h>
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

bool serial_config_has_channel(unsigned ch)
{
    return ch < MICROKIT_MAX_CHANNELS && ((microkit_notifications >> ch) & 1);
}

bool serial_config_driver_queue(struct serial_queue_handle *h)
{
    if (!serial_queue_init(h, (struct serial_queue *)driver_queue, (char *)driver_data, (uint32_t)driver_data_size) ||
        !serial_config_has_channel(SERIAL_DRIVER_CH)) {
        tessera_printf("%s: error: no usable driver queue (driver_queue, driver_data, driver_data_size a power of "
                       "two, channel %u)\n",
                       microkit_name, SERIAL_DRIVER_CH);
        return false;
    }
    return true;
}
