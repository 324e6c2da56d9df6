/*
 * The typed configuration of the serial PDs (UART driver, TX and RX virtualisers) and of a
 * serial client (a VMM whose guest has a console). tools/sysgen writes one initialiser per PD
 * from the system's description, so every address, size and channel id is stated once; each PD
 * checks its struct at start (serial_config_check_*) and names the field that is wrong
 * (include/tessera/config.h).
 * Addresses are the PD's own virtual addresses of the shared regions.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <tessera/config.h>
#include "serial.h"

#define SERIAL_CONFIG_VERSION 1
/* One magic per struct: a PD given another PD's struct is told so. */
#define SERIAL_DRIVER_CONFIG_MAGIC  0x7473736572647276ULL /* "vrdresst" */
#define SERIAL_VIRT_TX_CONFIG_MAGIC 0x7473736578747476ULL
#define SERIAL_VIRT_RX_CONFIG_MAGIC 0x7473736578727276ULL
#define SERIAL_CLIENT_CONFIG_MAGIC  0x747373636c6e7476ULL
#define SERIAL_COLOUR_CONFIG_MAX    16
#define SERIAL_NO_CHANNEL           0xffffffffu

/* One serial queue: its header and its data region, and the channel that signals the peer. */
struct serial_connection {
    uint64_t queue;     /* struct serial_queue */
    uint64_t data;      /* the bytes */
    uint64_t data_size; /* a power of two */
    uint32_t channel;
};

struct serial_driver_config {
    uint64_t magic;
    uint32_t version;
    uint64_t uart_base; /* the UART's registers */
    uint32_t irq_channel;
    uint32_t clock_hz;
    uint32_t baud;
    struct serial_connection tx; /* from the TX virtualiser */
    struct serial_connection rx; /* to the RX virtualiser */
};

struct serial_virt_tx_client_config {
    struct serial_connection connection;
    char colour[SERIAL_COLOUR_CONFIG_MAX]; /* SGR parameters, "32" is green */
};

struct serial_virt_tx_config {
    uint64_t magic;
    uint32_t version;
    struct serial_connection driver;
    struct serial_connection notice; /* the RX virtualiser's switch notices; queue 0: none */
    uint32_t client_count;
    struct serial_virt_tx_client_config clients[SERIAL_MAX_CLIENTS];
};

struct serial_virt_rx_config {
    uint64_t magic;
    uint32_t version;
    struct serial_connection driver;
    struct serial_connection notice;
    uint32_t switch_char;
    uint32_t patience_ms; /* a client that reads nothing this long while input waits is not reading */
    uint32_t client_count;
    struct serial_connection clients[SERIAL_MAX_CLIENTS];
};

struct serial_client_config {
    uint64_t magic;
    uint32_t version;
    struct serial_connection tx; /* to the TX virtualiser */
    struct serial_connection rx; /* from the RX virtualiser */
};

bool serial_config_check_driver(const struct serial_driver_config *c, tessera_has_channel_fn has_channel,
                                struct tessera_config_error *error);
bool serial_config_check_virt_tx(const struct serial_virt_tx_config *c, tessera_has_channel_fn has_channel,
                                 struct tessera_config_error *error);
bool serial_config_check_virt_rx(const struct serial_virt_rx_config *c, tessera_has_channel_fn has_channel,
                                 struct tessera_config_error *error);
bool serial_config_check_client(const struct serial_client_config *c, tessera_has_channel_fn has_channel,
                                struct tessera_config_error *error);
