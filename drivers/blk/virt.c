/* The block virtualiser's core: the state machine of virt.h and the request path. */
#include "virt.h"

#define SELF          0xffu /* inflight[].client of the virtualiser's own MBR read */
#define BATCH         16u   /* requests taken from one client before the next gets a turn */
#define UNITS_PER_MIB (1024u * 1024u / BLK_TRANSFER_SIZE)
#define MAX_STATUS    BLK_RESP_ERR_NO_DEVICE

static void copy_text(char *to, unsigned size, const char *from)
{
    unsigned n = 0;
    while (from[n] != '\0' && n + 1 < size) {
        to[n] = from[n];
        n++;
    }
    to[n] = '\0';
}

/* Append text, or a decimal number, to `out` (NUL-terminated, truncated at `size`). */
static void append(char *out, unsigned size, unsigned *n, const char *text)
{
    while (*text != '\0' && *n + 1 < size) {
        out[(*n)++] = *text++;
    }
    out[*n] = '\0';
}

static void append_number(char *out, unsigned size, unsigned *n, uint64_t value)
{
    char digits[21];
    unsigned d = 0;
    do {
        digits[d++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (d > 0 && *n + 1 < size) {
        out[(*n)++] = digits[--d];
    }
    out[*n] = '\0';
}

void blk_virt_init(struct blk_virt *v, struct blk_queue_handle driver, const struct blk_storage_info *driver_info,
                   uint64_t driver_data_size, uint64_t scratch_offset, const uint8_t *scratch)
{
    *v = (struct blk_virt){0};
    v->state = BLK_VIRT_WAIT_DISK;
    v->driver = driver;
    v->driver_info = driver_info;
    v->driver_data_size = driver_data_size;
    v->scratch_offset = scratch_offset;
    v->scratch = scratch;
    for (uint32_t i = 0; i < BLK_VIRT_MAX_INFLIGHT; i++) {
        v->free_ids[i] = BLK_VIRT_MAX_INFLIGHT - 1 - i;
    }
    v->free_count = BLK_VIRT_MAX_INFLIGHT;
}

bool blk_virt_add_client(struct blk_virt *v, struct blk_queue_handle queue, struct blk_storage_info *info,
                         uint64_t data_size, uint64_t driver_data_offset)
{
    uint64_t end;
    if (v->client_count >= BLK_VIRT_MAX_CLIENTS || info == 0 || data_size == 0 || data_size % BLK_TRANSFER_SIZE != 0 ||
        driver_data_offset % BLK_TRANSFER_SIZE != 0 || __builtin_add_overflow(driver_data_offset, data_size, &end) ||
        end > v->driver_data_size || queue.requests.capacity == 0 || queue.responses.capacity == 0) {
        return false;
    }
    v->clients[v->client_count++] = (struct blk_virt_client){
        .queue = queue,
        .info = info,
        .data_size = data_size,
        .driver_data_offset = driver_data_offset,
    };
    return true;
}

static bool take_id(struct blk_virt *v, uint32_t *id)
{
    if (v->free_count == 0) {
        return false;
    }
    *id = v->free_ids[--v->free_count];
    return true;
}

static void give_id(struct blk_virt *v, uint32_t id)
{
    v->inflight[id].used = false;
    v->free_ids[v->free_count++] = id;
}

static void send_to_driver(struct blk_virt *v, const struct blk_request *request, struct blk_virt_actions *actions)
{
    /* The callers checked for room: a request taken is never dropped here. */
    if (blk_enqueue_request(&v->driver, request) && blk_queue_take_request_signal(&v->driver)) {
        actions->notify_driver = true;
    }
}

static bool send_mbr_read(struct blk_virt *v, struct blk_virt_actions *actions)
{
    uint32_t id;
    if (blk_request_space(&v->driver) == 0) {
        blk_queue_want_request_space(&v->driver);
        return false;
    }
    if (!take_id(v, &id)) {
        return false;
    }
    v->inflight[id] = (struct blk_virt_inflight){true, SELF, 0, 1};
    struct blk_request read = {BLK_REQ_READ, id, v->scratch_offset, 0, 1, 0};
    send_to_driver(v, &read, actions);
    v->mbr_tries++;
    v->mbr_outstanding = true;
    return true;
}

static void no_disk(struct blk_virt *v, const char *reason, struct blk_virt_actions *actions)
{
    v->state = BLK_VIRT_NO_DISK;
    copy_text(v->reason, sizeof(v->reason), reason);
    for (unsigned i = 0; i < v->client_count; i++) {
        struct blk_virt_client *c = &v->clients[i];
        c->active = false;
        copy_text(c->reason, sizeof(c->reason), reason);
        blk_storage_set_absent(c->info);
        actions->notify_clients |= 1u << i;
    }
    actions->report = true;
}

static void wait_disk(struct blk_virt *v, struct blk_virt_actions *actions)
{
    uint32_t state = blk_storage_state(v->driver_info);
    if (state == BLK_STORAGE_PENDING) {
        return;
    }
    if (state == BLK_STORAGE_ABSENT) {
        no_disk(v, "the disk driver reports no disk", actions);
        return;
    }
    const char *problem = blk_storage_read(v->driver_info, &v->disk);
    if (problem != 0) {
        char reason[BLK_VIRT_REASON_MAX];
        unsigned n = 0;
        append(reason, sizeof(reason), &n, "the disk is unusable: ");
        append(reason, sizeof(reason), &n, problem);
        no_disk(v, reason, actions);
        return;
    }
    v->state = BLK_VIRT_READ_MBR;
    send_mbr_read(v, actions);
}

/* Block 0 arrived: give partition i + 1 to client i, or tell it why not. */
static void assign_partitions(struct blk_virt *v, struct blk_virt_actions *actions)
{
    uint32_t sector_size = v->disk.sector_size;
    uint32_t sectors_per_unit = BLK_TRANSFER_SIZE / sector_size;
    struct mbr_table table;
    mbr_parse(v->scratch, v->disk.capacity * sectors_per_unit, sector_size, BLK_TRANSFER_SIZE, &table);
    for (unsigned i = 0; i < v->client_count; i++) {
        struct blk_virt_client *c = &v->clients[i];
        const struct mbr_partition *p = &table.partitions[i];
        if (p->status != MBR_OK) {
            mbr_describe(&table, i + 1, BLK_TRANSFER_SIZE, sector_size, c->reason, sizeof(c->reason));
            blk_storage_set_absent(c->info);
        } else {
            c->start = p->start / sectors_per_unit;
            c->blocks = p->sectors / sectors_per_unit;
            c->active = true;
            struct blk_storage_info info = v->disk;
            uint32_t depth = c->queue.requests.capacity;
            info.capacity = c->blocks;
            info.queue_depth = depth < v->disk.queue_depth ? depth : v->disk.queue_depth;
            blk_storage_publish(c->info, &info);
        }
        actions->notify_clients |= 1u << i;
    }
    v->state = BLK_VIRT_RUNNING;
    actions->report = true;
}

static void mbr_answered(struct blk_virt *v, const struct blk_response *r, struct blk_virt_actions *actions)
{
    v->mbr_outstanding = false;
    if (r->status == BLK_RESP_OK && r->success_count >= 1) {
        assign_partitions(v, actions);
    } else if (v->mbr_tries < BLK_VIRT_MBR_TRIES) {
        send_mbr_read(v, actions);
    } else {
        no_disk(v, "block 0 (the partition table) could not be read", actions);
    }
}

static void drain_driver(struct blk_virt *v, struct blk_virt_actions *actions)
{
    struct blk_response r;
    bool consumed = false;
    /* Bounded: no more answers than ids exist, per call, whatever the driver writes. */
    for (unsigned n = 0; n < BLK_VIRT_MAX_INFLIGHT; n++) {
        if (!blk_dequeue_response(&v->driver, &r)) {
            blk_queue_want_responses(&v->driver);
            if (!blk_dequeue_response(&v->driver, &r)) {
                break;
            }
        }
        consumed = true;
        if (r.id >= BLK_VIRT_MAX_INFLIGHT || !v->inflight[r.id].used) {
            v->bogus_responses++;
            continue;
        }
        struct blk_virt_inflight e = v->inflight[r.id];
        give_id(v, r.id);
        if (e.client == SELF) {
            if (v->state == BLK_VIRT_READ_MBR) {
                mbr_answered(v, &r, actions);
            }
            continue;
        }
        struct blk_virt_client *c = &v->clients[e.client];
        struct blk_response answer = {
            .status = r.status <= MAX_STATUS ? r.status : BLK_RESP_ERR_UNSPEC,
            .id = e.client_id,
            .success_count = r.success_count < e.count ? r.success_count : e.count,
        };
        /* Room was kept for it when the request was taken (owed < free space). */
        blk_enqueue_response(&c->queue, &answer);
        c->owed--;
        if (blk_queue_take_response_signal(&c->queue)) {
            actions->notify_clients |= 1u << e.client;
        }
    }
    if (consumed && blk_queue_take_response_space_signal(&v->driver)) {
        actions->notify_driver = true;
    }
}

/* Answer a request here (refused, or no device): only when the answer fits. */
static void answer_now(struct blk_virt *v, unsigned i, uint32_t id, uint32_t status, struct blk_virt_actions *actions)
{
    struct blk_virt_client *c = &v->clients[i];
    struct blk_response answer = {status, id, 0, 0};
    blk_enqueue_response(&c->queue, &answer);
    v->refused_requests++;
    if (blk_queue_take_response_signal(&c->queue)) {
        actions->notify_clients |= 1u << i;
    }
}

/* Take up to BATCH requests from client i; true if it may have more. */
static bool serve_client(struct blk_virt *v, unsigned i, struct blk_virt_actions *actions)
{
    struct blk_virt_client *c = &v->clients[i];
    bool took = false;
    bool more = false;
    for (unsigned n = 0; n < BATCH; n++) {
        /* Room for every answer it is owed plus this one's, or it must read answers first. */
        if (blk_response_space(&c->queue) <= c->owed) {
            blk_queue_want_response_space(&c->queue);
            if (blk_response_space(&c->queue) <= c->owed) {
                break;
            }
        }
        if (c->active && (v->free_count == 0 || blk_request_space(&v->driver) == 0)) {
            if (v->free_count != 0) {
                blk_queue_want_request_space(&v->driver);
            }
            break; /* the driver's answers will free room: back-pressure, nothing lost */
        }
        struct blk_request request;
        if (!blk_dequeue_request(&c->queue, &request)) {
            blk_queue_want_requests(&c->queue);
            if (!blk_dequeue_request(&c->queue, &request)) {
                break;
            }
        }
        took = true;
        if (!c->active) {
            answer_now(v, i, request.id, BLK_RESP_ERR_NO_DEVICE, actions);
            continue;
        }
        enum blk_response_status status = blk_request_check(&request, c->blocks, c->data_size);
        if (status != BLK_RESP_OK) {
            answer_now(v, i, request.id, status, actions);
            continue;
        }
        uint32_t id;
        if (!take_id(v, &id)) {
            answer_now(v, i, request.id, BLK_RESP_ERR_UNSPEC, actions); /* not reached: checked above */
            continue;
        }
        v->inflight[id] = (struct blk_virt_inflight){true, (uint8_t)i, request.id, request.count};
        struct blk_request out = request;
        out.id = id;
        if (request.code == BLK_REQ_READ || request.code == BLK_REQ_WRITE) {
            /* In range: the check bounded both by the partition and the data region. */
            out.block_number = c->start + request.block_number;
            out.data_offset = c->driver_data_offset + request.data_offset;
        }
        c->owed++;
        send_to_driver(v, &out, actions);
        more = n + 1 == BATCH;
    }
    if (took && blk_queue_take_request_space_signal(&c->queue)) {
        actions->notify_clients |= 1u << i;
    }
    return more;
}

void blk_virt_process(struct blk_virt *v, struct blk_virt_actions *actions)
{
    *actions = (struct blk_virt_actions){0};
    if (v->state == BLK_VIRT_WAIT_DISK) {
        wait_disk(v, actions);
    }
    if (v->state == BLK_VIRT_READ_MBR || v->state == BLK_VIRT_RUNNING) {
        drain_driver(v, actions);
    }
    if (v->state == BLK_VIRT_READ_MBR && !v->mbr_outstanding) {
        send_mbr_read(v, actions); /* it found no room before */
    }
    if (v->state != BLK_VIRT_RUNNING && v->state != BLK_VIRT_NO_DISK) {
        return;
    }
    /* Rounds over the clients, starting where the last call stopped, until none has more. */
    bool more = true;
    for (unsigned round = 0; more && round < BLK_VIRT_MAX_INFLIGHT / BATCH + 1; round++) {
        more = false;
        for (unsigned k = 0; k < v->client_count; k++) {
            unsigned i = (v->next_client + k) % v->client_count;
            more = serve_client(v, i, actions) || more;
        }
        if (v->state == BLK_VIRT_RUNNING) {
            drain_driver(v, actions); /* answers free ids for the next round */
        }
    }
    if (v->client_count != 0) {
        v->next_client = (v->next_client + 1) % v->client_count;
    }
}

void blk_virt_driver_stopped(struct blk_virt *v, struct blk_virt_actions *actions)
{
    *actions = (struct blk_virt_actions){0};
    if (v->state == BLK_VIRT_NO_DISK) {
        return;
    }
    for (uint32_t id = 0; id < BLK_VIRT_MAX_INFLIGHT; id++) {
        struct blk_virt_inflight e = v->inflight[id];
        if (!e.used) {
            continue;
        }
        give_id(v, id);
        if (e.client == SELF) {
            continue;
        }
        struct blk_virt_client *c = &v->clients[e.client];
        struct blk_response answer = {BLK_RESP_ERR_NO_DEVICE, e.client_id, 0, 0};
        /* Room was kept for it when the request was taken (owed < free space). */
        blk_enqueue_response(&c->queue, &answer);
        c->owed--;
        if (blk_queue_take_response_signal(&c->queue)) {
            actions->notify_clients |= 1u << e.client;
        }
    }
    v->mbr_outstanding = false;
    no_disk(v,
            v->state == BLK_VIRT_RUNNING ? "the disk driver stopped (its requests in flight failed)"
                                         : "the disk driver stopped before the disk was ready",
            actions);
}

void blk_virt_describe_client(const struct blk_virt *v, unsigned i, char *text, unsigned size)
{
    unsigned n = 0;
    /* No room even for the terminator: nothing may be written. */
    if (size == 0) {
        return;
    }
    text[0] = '\0';
    if (i >= v->client_count) {
        return;
    }
    const struct blk_virt_client *c = &v->clients[i];
    append(text, size, &n, "client ");
    append_number(text, size, &n, i + 1);
    if (c->active) {
        append(text, size, &n, ": partition ");
        append_number(text, size, &n, i + 1);
        append(text, size, &n, ", ");
        if (c->blocks >= UNITS_PER_MIB) {
            append_number(text, size, &n, c->blocks / UNITS_PER_MIB);
            append(text, size, &n, " MiB (");
        } else {
            append_number(text, size, &n, c->blocks * (BLK_TRANSFER_SIZE / 1024));
            append(text, size, &n, " KiB (");
        }
        append_number(text, size, &n, c->blocks * (BLK_TRANSFER_SIZE / 512));
        append(text, size, &n, " sectors of 512 bytes)");
    } else {
        append(text, size, &n, ": no disk: ");
        append(text, size, &n, c->reason);
    }
}
