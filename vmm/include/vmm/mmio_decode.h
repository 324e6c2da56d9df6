/* Decoding a guest's data abort (ESR_EL2.EC = 0x24) into the access it attempted (Arm ARM
 * D17.2.37, "ISS encoding for an exception from a Data Abort"). Portable and host-tested. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct mmio_access {
    uint64_t address; /* guest-physical */
    unsigned size;    /* bytes: 1, 2, 4, 8 */
    bool write;
    bool sign_extend; /* SSE: loads of less than the register width */
    bool sixty_four;  /* SF: the register is Xn (else Wn) */
    unsigned reg;     /* 0..30, or 31 = XZR/WZR */
};

enum mmio_decode_result {
    MMIO_DECODED = 0,
    MMIO_NO_SYNDROME, /* ISV = 0: load/store pair, writeback, SIMD... cannot be emulated */
    MMIO_NOT_DATA_ABORT,
};

enum mmio_decode_result mmio_decode(uint64_t esr, uint64_t address, struct mmio_access *access);
/* The value a write stores, from the register's value (XZR reads as 0), cut to the access size. */
uint64_t mmio_write_value(const struct mmio_access *access, uint64_t reg_value);
/* The register's new value after a read returned `data`: zero- or sign-extended to 32 or 64
 * bits (a W register write clears the top half). */
uint64_t mmio_read_result(const struct mmio_access *access, uint64_t data);
