/* SPDX-License-Identifier: MIT */
/* onnx_fill.c: packs the model into the output's room, leaving the marked list attributes to jobs that write them in place on two threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "onnx_writer.h"

struct onnx_fill {
    size_t len;
    uint8_t **dst;
};

typedef struct onnx_job {
    onnx_fill_fn fn;
    void *ctx;
    size_t first, end;   /* its marks: b->fills[first .. end) */
} onnx_job;

/* Below this many bytes to fill, a second thread costs more than it saves. */
#define ONNX_FILL_THREAD_MIN ((size_t)1 << 20)

const uint8_t *onnx_fill_mark(onnx_builder *b, size_t len, uint8_t **dst)
{
    onnx_fill *f = onnx_arena_alloc(b->arena, 1, sizeof(*f));

    if (!f || onnx_vec_push(&b->fills, f) < 0)
        return NULL;
    f->len = len;
    f->dst = dst;
    *dst = NULL;
    return (const uint8_t *)f;
}

int onnx_fill_job(onnx_builder *b, onnx_fill_fn fn, void *ctx)
{
    onnx_job *j = onnx_arena_alloc(b->arena, 1, sizeof(*j));

    if (!j)
        return SKC_E_NOMEM;
    j->fn = fn;
    j->ctx = ctx;
    /* The marks made since the last job are this job's. */
    j->first = b->jobs.n ? ((onnx_job *)b->jobs.v[b->jobs.n - 1])->end : 0;
    j->end = b->fills.n;
    return onnx_vec_push(&b->jobs, j);
}

/* protobuf-c hands every piece of the message to append() in file order:
 * a marked field is given its place, everything else is copied. */
typedef struct onnx_room_sink {
    ProtobufCBuffer base;
    const onnx_vec *fills;
    uint8_t *room;
    size_t used, size;
    int bad;
} onnx_room_sink;

static void onnx_room_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
    onnx_room_sink *k = (onnx_room_sink *)buf;

    if (k->bad || len > k->size - k->used) {
        k->bad = 1;
        return;
    }
    for (size_t i = 0; i < k->fills->n; i++) {
        onnx_fill *f = k->fills->v[i];
        if (data == (const uint8_t *)f) {
            if (len != f->len || *f->dst)
                k->bad = 1;
            *f->dst = k->room + k->used;
            k->used += len;
            return;
        }
    }
    memcpy(k->room + k->used, data, len);
    k->used += len;
}

typedef struct onnx_job_run {
    const onnx_vec *jobs;
    const onnx_vec *fills;
    atomic_size_t next;
    atomic_int status;
} onnx_job_run;

/* The pages of job @p j's marks made writable in one pass of the kernel
 * (a page first written through a shared mapping otherwise takes two
 * faults: one to read it in, one to make it writable). */
static void onnx_fill_populate(const onnx_vec *fills, const onnx_job *j)
{
#ifdef MADV_POPULATE_WRITE
    long ps = sysconf(_SC_PAGESIZE);
    size_t i;

    for (i = j->first; ps > 0 && i < j->end; i++) {
        const onnx_fill *f = fills->v[i];
        uintptr_t lo = (uintptr_t)*f->dst / (uintptr_t)ps * (uintptr_t)ps;
        uintptr_t hi = (uintptr_t)(*f->dst + f->len);
        if (f->len >= (size_t)ps)
            (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
    }
#else
    (void)fills;
    (void)j;
#endif
}

static void *onnx_jobs_work(void *arg)
{
    onnx_job_run *r = arg;
    size_t i;

    while ((i = atomic_fetch_add(&r->next, 1)) < r->jobs->n) {
        onnx_job *j = r->jobs->v[i];
        onnx_fill_populate(r->fills, j);
        int rc = j->fn(j->ctx);
        if (rc < 0)
            atomic_store(&r->status, rc);
    }
    return NULL;
}

int onnx_fill_pack(onnx_builder *b, Onnx__ModelProto *mp, uint8_t *room, size_t size)
{
    onnx_room_sink k = { .base = { .append = onnx_room_append }, .fills = &b->fills,
                         .room = room, .size = size };
    onnx_job_run r = { .jobs = &b->jobs, .fills = &b->fills };
    size_t packed, total = 0, i;
    pthread_t th;
    int threaded;

    packed = onnx__model_proto__pack_to_buffer(mp, &k.base);
    if (k.bad || packed != size || k.used != size)
        return onnx_error(b, SKC_E_INTERNAL, "packed %zu bytes, expected %zu", packed, size);
    for (i = 0; i < b->fills.n; i++) {
        onnx_fill *f = b->fills.v[i];
        if (!*f->dst)
            return onnx_error(b, SKC_E_INTERNAL, "a list attribute was not laid out");
        total += f->len;
    }
    atomic_init(&r.next, 0);
    atomic_init(&r.status, 0);
    threaded = b->jobs.n > 1 && total >= ONNX_FILL_THREAD_MIN && skc_threads() > 1 &&
               pthread_create(&th, NULL, onnx_jobs_work, &r) == 0;
    onnx_jobs_work(&r);
    if (threaded)
        pthread_join(th, NULL);
    if (atomic_load(&r.status) < 0)
        return onnx_error(b, SKC_E_INTERNAL, "a list attribute did not come out at "
                          "the size it was counted at");
    return 0;
}
