#include <vmm/guest_ram.h>

bool guest_ram_range(const struct guest_ram *ram, uint64_t gpa, uint64_t length, void **pointer)
{
    uint64_t end;
    if (length == 0 || __builtin_add_overflow(gpa, length, &end) || gpa < ram->gpa || end > ram->gpa + ram->size) {
        return false;
    }
    *pointer = (void *)(ram->vaddr + (uintptr_t)(gpa - ram->gpa));
    return true;
}
