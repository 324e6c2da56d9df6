/* The block queues: entries copied once across the shared ring, requests checked on the copy. */
#include "queue.h"

uint32_t blk_queue_capacity(uint64_t region_size, uint32_t entry_size)
{
    if (region_size <= BLK_QUEUE_ENTRIES_OFFSET || entry_size == 0) {
        return 0;
    }
    uint64_t fit = (region_size - BLK_QUEUE_ENTRIES_OFFSET) / entry_size;
    uint32_t capacity = 1;
    while ((uint64_t)capacity * 2 <= fit && capacity < (1u << 30)) {
        capacity *= 2;
    }
    return fit == 0 ? 0 : capacity;
}

bool blk_queue_init(struct blk_queue_handle *h, void *request_region, uint64_t request_region_size,
                    void *response_region, uint64_t response_region_size)
{
    *h = (struct blk_queue_handle){0};
    uint32_t requests = blk_queue_capacity(request_region_size, sizeof(struct blk_request));
    uint32_t responses = blk_queue_capacity(response_region_size, sizeof(struct blk_response));
    if (request_region == 0 || response_region == 0 || requests == 0 || responses == 0) {
        return false;
    }
    if (!spsc_init(&h->requests, spsc_words_of(request_region), requests) ||
        !spsc_init(&h->responses, spsc_words_of(response_region), responses)) {
        return false;
    }
    h->request_entries = (struct blk_request *)((char *)request_region + BLK_QUEUE_ENTRIES_OFFSET);
    h->response_entries = (struct blk_response *)((char *)response_region + BLK_QUEUE_ENTRIES_OFFSET);
    return true;
}

/* Entries are copied field by field through volatile pointers: the compiler may neither read a
 * shared field twice nor merge the copy with later uses. */
static void copy_request_out(struct blk_request *to, const volatile struct blk_request *from)
{
    to->code = from->code;
    to->id = from->id;
    to->data_offset = from->data_offset;
    to->block_number = from->block_number;
    to->count = from->count;
    to->reserved = 0;
}

static void copy_request_in(volatile struct blk_request *to, const struct blk_request *from)
{
    to->code = from->code;
    to->id = from->id;
    to->data_offset = from->data_offset;
    to->block_number = from->block_number;
    to->count = from->count;
    to->reserved = 0;
}

static void copy_response_out(struct blk_response *to, const volatile struct blk_response *from)
{
    to->status = from->status;
    to->id = from->id;
    to->success_count = from->success_count;
    to->reserved = 0;
}

static void copy_response_in(volatile struct blk_response *to, const struct blk_response *from)
{
    to->status = from->status;
    to->id = from->id;
    to->success_count = from->success_count;
    to->reserved = 0;
}

bool blk_enqueue_request(struct blk_queue_handle *h, const struct blk_request *request)
{
    struct spsc_window w = spsc_space(&h->requests);
    if (w.count == 0) {
        return false;
    }
    copy_request_in(&h->request_entries[spsc_slot(&h->requests, w, 0)], request);
    spsc_produce(&h->requests, w, 1);
    return true;
}

bool blk_dequeue_request(struct blk_queue_handle *h, struct blk_request *request)
{
    struct spsc_window w = spsc_filled(&h->requests);
    if (w.count == 0) {
        return false;
    }
    copy_request_out(request, &h->request_entries[spsc_slot(&h->requests, w, 0)]);
    spsc_consume(&h->requests, w, 1);
    return true;
}

bool blk_enqueue_response(struct blk_queue_handle *h, const struct blk_response *response)
{
    struct spsc_window w = spsc_space(&h->responses);
    if (w.count == 0) {
        return false;
    }
    copy_response_in(&h->response_entries[spsc_slot(&h->responses, w, 0)], response);
    spsc_produce(&h->responses, w, 1);
    return true;
}

bool blk_dequeue_response(struct blk_queue_handle *h, struct blk_response *response)
{
    struct spsc_window w = spsc_filled(&h->responses);
    if (w.count == 0) {
        return false;
    }
    copy_response_out(response, &h->response_entries[spsc_slot(&h->responses, w, 0)]);
    spsc_consume(&h->responses, w, 1);
    return true;
}

uint32_t blk_request_space(struct blk_queue_handle *h)
{
    return spsc_space(&h->requests).count;
}

uint32_t blk_response_space(struct blk_queue_handle *h)
{
    return spsc_space(&h->responses).count;
}

void blk_queue_want_requests(struct blk_queue_handle *h)
{
    spsc_request_data_signal(&h->requests);
}

bool blk_queue_take_request_signal(struct blk_queue_handle *h)
{
    return spsc_take_data_signal(&h->requests);
}

void blk_queue_want_responses(struct blk_queue_handle *h)
{
    spsc_request_data_signal(&h->responses);
}

bool blk_queue_take_response_signal(struct blk_queue_handle *h)
{
    return spsc_take_data_signal(&h->responses);
}

void blk_queue_want_request_space(struct blk_queue_handle *h)
{
    spsc_request_space_signal(&h->requests);
}

bool blk_queue_take_request_space_signal(struct blk_queue_handle *h)
{
    return spsc_take_space_signal(&h->requests);
}

void blk_queue_want_response_space(struct blk_queue_handle *h)
{
    spsc_request_space_signal(&h->responses);
}

bool blk_queue_take_response_space_signal(struct blk_queue_handle *h)
{
    return spsc_take_space_signal(&h->responses);
}

enum blk_response_status blk_request_check(const struct blk_request *request, uint64_t device_blocks,
                                           uint64_t data_size)
{
    switch (request->code) {
    case BLK_REQ_FLUSH:
    case BLK_REQ_BARRIER:
        return request->count == 0 ? BLK_RESP_OK : BLK_RESP_ERR_INVALID_PARAM;
    case BLK_REQ_READ:
    case BLK_REQ_WRITE:
        break;
    default:
        return BLK_RESP_ERR_INVALID_PARAM;
    }
    uint64_t end_block, bytes, end_offset;
    if (request->count == 0 || __builtin_add_overflow(request->block_number, request->count, &end_block) ||
        end_block > device_blocks) {
        return BLK_RESP_ERR_INVALID_PARAM;
    }
    if (request->data_offset % BLK_TRANSFER_SIZE != 0 ||
        __builtin_mul_overflow((uint64_t)request->count, BLK_TRANSFER_SIZE, &bytes) ||
        __builtin_add_overflow(request->data_offset, bytes, &end_offset) || end_offset > data_size) {
        return BLK_RESP_ERR_INVALID_PARAM;
    }
    return BLK_RESP_OK;
}
