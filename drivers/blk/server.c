/* The serving end of a block queue: check, do, answer; hold an answer rather than drop it. */
#include "server.h"

bool blk_server_init(struct blk_server *s, struct blk_queue_handle queue, const struct blk_server_backend *backend,
                     uint64_t device_blocks, const struct blk_server_window *windows, unsigned window_count)
{
    *s = (struct blk_server){0};
    if (window_count == 0 || window_count > BLK_SERVER_MAX_WINDOWS || queue.requests.capacity == 0) {
        return false;
    }
    uint64_t next = 0;
    for (unsigned i = 0; i < window_count; i++) {
        const struct blk_server_window *w = &windows[i];
        if (w->offset < next || w->offset % BLK_TRANSFER_SIZE != 0 || w->size == 0 ||
            w->size % BLK_TRANSFER_SIZE != 0 || w->base == 0 || __builtin_add_overflow(w->offset, w->size, &next)) {
            return false;
        }
        s->windows[i] = *w;
    }
    s->window_count = window_count;
    s->data_size = next;
    s->queue = queue;
    s->backend = *backend;
    s->device_blocks = device_blocks;
    return true;
}

/* The bytes [offset, offset + length) of the data space, if one window holds them all. */
static uint8_t *locate(const struct blk_server *s, uint64_t offset, uint64_t length)
{
    for (unsigned i = 0; i < s->window_count; i++) {
        const struct blk_server_window *w = &s->windows[i];
        if (offset >= w->offset && offset - w->offset <= w->size && length <= w->size - (offset - w->offset)) {
            return w->base + (offset - w->offset);
        }
    }
    return 0;
}

static struct blk_response perform(struct blk_server *s, const struct blk_request *r)
{
    struct blk_response answer = {BLK_RESP_OK, r->id, 0, 0};
    enum blk_response_status status = blk_request_check(r, s->device_blocks, s->data_size);
    if (status != BLK_RESP_OK) {
        s->refused++;
        answer.status = status;
        return answer;
    }
    if (r->code == BLK_REQ_FLUSH || r->code == BLK_REQ_BARRIER) {
        /* Requests are done one at a time in order, so a barrier is already kept; a flush must
         * also make what was written durable. */
        if (r->code == BLK_REQ_FLUSH && s->backend.flush(s->backend.context) != 0) {
            s->io_errors++;
            answer.status = BLK_RESP_ERR_IO;
        }
        return answer;
    }
    uint64_t length = (uint64_t)r->count * BLK_TRANSFER_SIZE; /* no overflow: checked */
    uint8_t *bytes = locate(s, r->data_offset, length);
    if (bytes == 0) {
        s->refused++;
        answer.status = BLK_RESP_ERR_INVALID_PARAM; /* it straddles two windows */
        return answer;
    }
    uint64_t disk_offset = r->block_number * BLK_TRANSFER_SIZE;
    size_t done = r->code == BLK_REQ_READ ? s->backend.read(s->backend.context, disk_offset, bytes, (size_t)length)
                                          : s->backend.write(s->backend.context, disk_offset, bytes, (size_t)length);
    if (done >= length) {
        answer.success_count = r->count;
    } else {
        s->io_errors++;
        answer.status = BLK_RESP_ERR_IO;
        answer.success_count = (uint32_t)(done / BLK_TRANSFER_SIZE);
    }
    return answer;
}

static bool answer(struct blk_server *s, const struct blk_response *a, bool *notify)
{
    if (!blk_enqueue_response(&s->queue, a)) {
        blk_queue_want_response_space(&s->queue);
        if (!blk_enqueue_response(&s->queue, a)) {
            s->held = *a;
            s->holding = true;
            return false;
        }
    }
    if (blk_queue_take_response_signal(&s->queue)) {
        *notify = true;
    }
    return true;
}

unsigned blk_server_serve(struct blk_server *s, unsigned budget, bool *notify)
{
    unsigned answered = 0;
    *notify = false;
    if (s->holding) {
        struct blk_response held = s->held;
        s->holding = false;
        if (!answer(s, &held, notify)) {
            return 0;
        }
        answered++;
    }
    bool took = false;
    while (answered < budget) {
        struct blk_request r;
        if (!blk_dequeue_request(&s->queue, &r)) {
            blk_queue_want_requests(&s->queue);
            if (!blk_dequeue_request(&s->queue, &r)) {
                break;
            }
        }
        took = true;
        s->requests++;
        struct blk_response a = perform(s, &r);
        if (!answer(s, &a, notify)) {
            break; /* held until the client reads answers */
        }
        answered++;
    }
    if (took && blk_queue_take_request_space_signal(&s->queue)) {
        *notify = true;
    }
    return answered;
}
