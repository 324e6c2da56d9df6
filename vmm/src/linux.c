#include <vmm/linux.h>

#define HEADER_SIZE  64
#define MAGIC_OFFSET 56
#define IMAGE_MAGIC  0x644d5241u /* "ARM\x64" */
#define FLAG_BE      1u
#define ALIGN_2M     0x200000UL

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

enum linux_error linux_plan(const uint8_t *image, size_t image_length, uint64_t ram_gpa, uint64_t ram_size,
                            size_t dtb_capacity, size_t initrd_length, struct linux_layout *layout)
{
    if (image_length < HEADER_SIZE) {
        return LINUX_TOO_SHORT;
    }
    uint32_t magic = (uint32_t)le64(image + MAGIC_OFFSET);
    if (magic != IMAGE_MAGIC) {
        return LINUX_BAD_MAGIC;
    }
    uint64_t text_offset = le64(image + 8);
    uint64_t image_size = le64(image + 16);
    uint64_t flags = le64(image + 24);
    if (flags & FLAG_BE) {
        return LINUX_BIG_ENDIAN;
    }
    if (image_size == 0) {
        /* Kernels before 3.17 leave image_size 0 and expect text_offset 0x80000. */
        image_size = image_length;
        text_offset = 0x80000;
    }
    if (image_size < image_length) {
        image_size = image_length;
    }
    uint64_t ram_end;
    if (__builtin_add_overflow(ram_gpa, ram_size, &ram_end)) {
        return LINUX_DOES_NOT_FIT;
    }
    uint64_t base = (ram_gpa + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
    uint64_t kernel_end;
    if (__builtin_add_overflow(base, text_offset, &layout->kernel_gpa) ||
        __builtin_add_overflow(layout->kernel_gpa, image_size, &kernel_end) || kernel_end > ram_end) {
        return LINUX_DOES_NOT_FIT;
    }
    layout->kernel_end = kernel_end;
    /* The device tree in the last 2 MiB block, 8-byte aligned; the initrd below it, page aligned. */
    if (dtb_capacity > ALIGN_2M || ram_size < 2 * ALIGN_2M) {
        return LINUX_DOES_NOT_FIT;
    }
    layout->dtb_gpa = ((ram_end - ALIGN_2M) + 7) & ~7UL;
    if (initrd_length > layout->dtb_gpa - ram_gpa) {
        return LINUX_DOES_NOT_FIT;
    }
    layout->initrd_gpa = (layout->dtb_gpa - initrd_length) & ~0xfffUL;
    layout->initrd_end = layout->initrd_gpa + initrd_length;
    if (layout->initrd_gpa < ram_gpa) {
        return LINUX_DOES_NOT_FIT;
    }
    if ((initrd_length != 0 && overlaps(layout->kernel_gpa, kernel_end, layout->initrd_gpa, layout->initrd_end)) ||
        overlaps(layout->kernel_gpa, kernel_end, layout->dtb_gpa, layout->dtb_gpa + dtb_capacity)) {
        return LINUX_OVERLAP;
    }
    return LINUX_OK;
}

const char *linux_error_text(enum linux_error error)
{
    switch (error) {
    case LINUX_OK:
        return "ok";
    case LINUX_TOO_SHORT:
        return "the kernel image is shorter than its 64-byte header";
    case LINUX_BAD_MAGIC:
        return "the kernel image has no arm64 Image magic (is it an arm64 Image, not a zImage or ELF?)";
    case LINUX_BIG_ENDIAN:
        return "the kernel is big-endian; guests must be little-endian";
    case LINUX_DOES_NOT_FIT:
        return "kernel, device tree and initrd do not fit in guest RAM";
    case LINUX_OVERLAP:
        return "the kernel's memory would overlap the device tree or initrd";
    }
    return "unknown error";
}
