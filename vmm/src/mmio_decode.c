#include <vmm/mmio_decode.h>

#define ESR_EC(esr)  (((esr) >> 26) & 0x3f)
#define EC_DABT_LOW  0x24
#define ISS_ISV      (1UL << 24)
#define ISS_SAS(esr) (((esr) >> 22) & 3)
#define ISS_SSE      (1UL << 21)
#define ISS_SRT(esr) (((esr) >> 16) & 31)
#define ISS_SF       (1UL << 15)
#define ISS_WNR      (1UL << 6)

enum mmio_decode_result mmio_decode(uint64_t esr, uint64_t address, struct mmio_access *access)
{
    if (ESR_EC(esr) != EC_DABT_LOW) {
        return MMIO_NOT_DATA_ABORT;
    }
    if (!(esr & ISS_ISV)) {
        return MMIO_NO_SYNDROME;
    }
    access->address = address;
    access->size = 1u << ISS_SAS(esr);
    access->write = (esr & ISS_WNR) != 0;
    access->sign_extend = (esr & ISS_SSE) != 0;
    access->sixty_four = (esr & ISS_SF) != 0;
    access->reg = (unsigned)ISS_SRT(esr);
    return MMIO_DECODED;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0UL : (1UL << (size * 8)) - 1;
}

uint64_t mmio_write_value(const struct mmio_access *access, uint64_t reg_value)
{
    if (access->reg == 31) {
        return 0;
    }
    return reg_value & size_mask(access->size);
}

uint64_t mmio_read_result(const struct mmio_access *access, uint64_t data)
{
    uint64_t value = data & size_mask(access->size);
    if (access->sign_extend && access->size < 8) {
        uint64_t sign = 1UL << (access->size * 8 - 1);
        value = (value ^ sign) - sign;
    }
    if (!access->sixty_four) {
        value &= 0xffffffffUL;
    }
    return value;
}
