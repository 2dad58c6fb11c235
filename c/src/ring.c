#include "ring.h"
#include "proc.h"
#include "status.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How often a waiting writer checks that the readers it waits for are alive. */
#define REAP_INTERVAL_NS 10000000LL
/* How long a waiting reader sleeps at most before re-checking the producer. */
#define WAIT_SLICE_NS 100000000LL
/* How long a read keeps retrying while the producer overwrites its frames. */
#define READ_RETRY_NS 1000000000LL

/* slot.seq: frame index + 1, 0 = empty; WRITING while the writer owns it. */
#define SEQ_WRITING (UINT64_C(1) << 63)
/* reader.owner: 0 = free; a process identity (proc.h) = owned; RECLAIMING |
 * identity = being reclaimed by that process (taken over if it dies). */
#define RECLAIMING (UINT64_C(1) << 63)

enum { RING_LIVE = 1, RING_CLOSED = 2 };

/* Everything a woken reader needs first is on one cache line: the commit
 * writes write_seq and notify together, and the reader loads both. */
struct ring_ctl {
    _Alignas(64) _Atomic uint32_t state;
    _Atomic uint32_t notify;      /* futex word, bumped on each commit */
    _Atomic uint32_t waiters;     /* readers inside FUTEX_WAIT (may overcount after a crash) */
    uint32_t history_len;         /* as formatted; checked by tipc__ring_validate */
    _Atomic uint64_t write_seq;   /* frames published */
    uint64_t reserved[13];
};

struct ring_slot {
    _Atomic uint64_t seq;
    _Atomic uint64_t readers;     /* bit i: reader entry i holds this frame */
    _Atomic int64_t timestamp_ns;
    uint64_t reserved[5];
};

struct ring_reader {
    _Atomic uint64_t owner;
    uint64_t reserved[7];
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(sizeof(struct ring_ctl) == 128, "control words are two cache lines");
_Static_assert(sizeof(struct ring_slot) == 64, "slot record is one cache line");
_Static_assert(sizeof(struct ring_reader) == 64, "reader record is one cache line");
_Static_assert(TIPC_RING_MAX_READERS == 64, "reader bits fit one 64-bit mask");

struct tipc_ring {
    struct ring_ctl *ctl;
    struct ring_slot *slots;
    struct ring_reader *readers;
    uint32_t history_len;
    int32_t producer_pid;
    uint64_t producer_start;
    char name[TIPC_NAME_MAX + 1];
    /* Reader side only: this handle's entry and how often it holds each slot. */
    int index;                    /* -1 for the producer */
    pthread_mutex_t hold_lock;
    uint32_t *holds;
};

#ifdef TIPC_TEST_HOOKS
void (*tipc__test_hook)(const char *point);
#endif

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

static void nap(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    nanosleep(&ts, NULL);
}

static struct ring_ctl *ctl_of(void *region) { return region; }
static struct ring_slot *slots_of(void *region)
{
    return (struct ring_slot *)((char *)region + sizeof(struct ring_ctl));
}
static struct ring_reader *readers_of(void *region, uint32_t history_len)
{
    return (struct ring_reader *)(slots_of(region) + history_len);
}

#ifdef TIPC_TEST_HOOKS
_Atomic uint64_t *tipc__test_ring_owner(void *region, uint32_t history_len, int entry)
{
    return &readers_of(region, history_len)[entry].owner;
}
_Atomic uint64_t *tipc__test_ring_holders(void *region, uint32_t history_len, uint32_t slot)
{
    (void)history_len;
    return &slots_of(region)[slot].readers;
}
_Atomic uint64_t *tipc__test_ring_seq(void *region, uint32_t history_len, uint32_t slot)
{
    (void)history_len;
    return &slots_of(region)[slot].seq;
}
#endif

size_t tipc__ring_bytes(uint32_t history_len)
{
    return sizeof(struct ring_ctl) + (size_t)history_len * sizeof(struct ring_slot) +
           TIPC_RING_MAX_READERS * sizeof(struct ring_reader);
}

void tipc__ring_format(void *region, uint32_t history_len)
{
    memset(region, 0, tipc__ring_bytes(history_len));
    struct ring_ctl *c = ctl_of(region);
    atomic_init(&c->state, RING_LIVE);
    c->history_len = history_len;
}

/* A slot's seq as the writer can leave it: empty, or an index that maps to
 * this slot, possibly marked as being written. */
static int seq_plausible(uint64_t seq, uint32_t slot, uint32_t history_len)
{
    uint64_t n = seq & ~SEQ_WRITING;
    if (seq == 0)
        return 1;
    return n != 0 && (n - 1) % history_len == slot;
}

tipc_status tipc__ring_validate(const void *region, uint32_t history_len, const char *pool)
{
    /* The words are live: slots are read before write_seq, so a slot can
     * never be legitimately ahead of the count read after it by more than
     * the one frame in progress. */
    void *r = (void *)region;
    const struct ring_ctl *c = ctl_of(r);
    if (c->history_len != history_len)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': ring formatted for %u slots, the header says %u", pool,
                          c->history_len, history_len);
    uint32_t state = atomic_load(&ctl_of(r)->state);
    if (state != RING_LIVE && state != RING_CLOSED)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': ring state word %u is invalid", pool, state);
    uint64_t newest = 0;
    const struct ring_slot *slots = slots_of(r);
    for (uint32_t s = 0; s < history_len; s++) {
        uint64_t seq = atomic_load(&((struct ring_slot *)slots)[s].seq);
        if (!seq_plausible(seq, s, history_len))
            return tipc__fail(TIPC_E_CORRUPT,
                              "pool '%s': slot %u claims frame %llu, which belongs to another slot",
                              pool, s, (unsigned long long)((seq & ~SEQ_WRITING) - 1));
        if ((seq & ~SEQ_WRITING) > newest)
            newest = seq & ~SEQ_WRITING;
    }
    uint64_t w = atomic_load(&ctl_of(r)->write_seq);
    if (newest > w + 1)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': a slot holds frame %llu but only %llu frames were written",
                          pool, (unsigned long long)(newest - 1), (unsigned long long)w);
    return TIPC_OK;
}

/* ------------------------------------------------------------------------ */
/* Reader table                                                             */
/* ------------------------------------------------------------------------ */

static void clear_bit_everywhere(struct tipc_ring *ring, int i)
{
    uint64_t bit = UINT64_C(1) << i;
    for (uint32_t s = 0; s < ring->history_len; s++)
        if (atomic_load_explicit(&ring->slots[s].readers, memory_order_relaxed) & bit)
            atomic_fetch_and(&ring->slots[s].readers, ~bit);
}

unsigned tipc__ring_reclaim(struct tipc_ring *ring, uint64_t mask)
{
    const uint64_t self = tipc__proc_self_identity();
    unsigned freed = 0;
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++) {
        if (mask && !(mask & (UINT64_C(1) << i)))
            continue;
        struct ring_reader *r = &ring->readers[i];
        uint64_t owner = atomic_load(&r->owner);
        if (owner == 0 || tipc__proc_identity_alive(owner & ~RECLAIMING))
            continue;
        /* The owner (or a reclaimer) is dead: its holds can never be released. */
        uint64_t claim = RECLAIMING | self;
        if (!atomic_compare_exchange_strong(&r->owner, &owner, claim))
            continue;
        TIPC_HOOK("reclaim.claimed");
        clear_bit_everywhere(ring, i);
        TIPC_HOOK("reclaim.cleared");
        if (atomic_compare_exchange_strong(&r->owner, &claim, 0))
            freed++;
    }
    return freed;
}

static tipc_status reader_attach(struct tipc_ring *ring)
{
    const uint64_t self = tipc__proc_self_identity();
    if (self == 0)
        return tipc__fail(TIPC_E_SYSTEM,
                          "pool '%s': cannot read this process's start time from /proc", ring->name);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < TIPC_RING_MAX_READERS; i++) {
            uint64_t expected = 0;
            /* One compare-and-swap publishes the whole identity: nobody can
             * see the entry half-claimed. */
            if (atomic_compare_exchange_strong(&ring->readers[i].owner, &expected, self)) {
                TIPC_HOOK("attach.claimed");
                clear_bit_everywhere(ring, i); /* a free entry holds nothing */
                ring->index = i;
                return TIPC_OK;
            }
        }
        if (pass == 0 && tipc__ring_reclaim(ring, 0) == 0)
            break;
    }
    return tipc__fail(TIPC_E_LIMIT,
                      "pool '%s': all %d reader entries are held by live processes", ring->name,
                      TIPC_RING_MAX_READERS);
}

static void reader_detach(struct tipc_ring *ring)
{
    int i = ring->index;
    uint64_t bit = UINT64_C(1) << i;
    for (uint32_t s = 0; s < ring->history_len; s++)
        if (ring->holds[s])
            atomic_fetch_and(&ring->slots[s].readers, ~bit);
    TIPC_HOOK("detach.cleared");
    uint64_t self = tipc__proc_self_identity();
    atomic_compare_exchange_strong(&ring->readers[i].owner, &self, 0);
    ring->index = -1;
}

unsigned tipc__ring_attached(struct tipc_ring *ring)
{
    tipc__ring_reclaim(ring, 0);
    unsigned n = 0;
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++)
        n += atomic_load(&ring->readers[i].owner) != 0;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Handle                                                                   */
/* ------------------------------------------------------------------------ */

tipc_status tipc__ring_open(struct tipc_ring **out, void *region, uint32_t history_len,
                            const char *pool, int32_t producer_pid, uint64_t producer_start,
                            int reader)
{
    *out = NULL;
    struct tipc_ring *ring = calloc(1, sizeof *ring);
    uint32_t *holds = reader ? calloc(history_len, sizeof *holds) : NULL;
    if (!ring || (reader && !holds)) {
        free(ring);
        free(holds);
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", pool);
    }
    ring->ctl = ctl_of(region);
    ring->slots = slots_of(region);
    ring->readers = readers_of(region, history_len);
    ring->history_len = history_len;
    ring->producer_pid = producer_pid;
    ring->producer_start = producer_start;
    snprintf(ring->name, sizeof ring->name, "%s", pool);
    ring->index = -1;
    ring->holds = holds;
    pthread_mutex_init(&ring->hold_lock, NULL);
    if (reader) {
        tipc_status st = reader_attach(ring);
        if (st) {
            tipc__ring_free(ring);
            return st;
        }
    }
    *out = ring;
    return TIPC_OK;
}

void tipc__ring_free(struct tipc_ring *ring)
{
    if (!ring)
        return;
    if (ring->index >= 0)
        reader_detach(ring);
    pthread_mutex_destroy(&ring->hold_lock);
    free(ring->holds);
    free(ring);
}

uint64_t tipc__ring_written(const struct tipc_ring *ring)
{
    return atomic_load(&ring->ctl->write_seq);
}

int tipc__ring_closed(const struct tipc_ring *ring)
{
    return atomic_load(&ring->ctl->state) != RING_LIVE;
}

int tipc__ring_live(const struct tipc_ring *ring)
{
    return !tipc__ring_closed(ring) && tipc__proc_alive(ring->producer_pid, ring->producer_start);
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */
/* ------------------------------------------------------------------------ */

/* Clear bits of @p slot that belong to free entries. A reader sets a bit only
 * while it owns its entry and clears its bits before giving the entry back,
 * so such a bit is debris (a corrupted table); a reader that claims the entry
 * meanwhile cannot hold this slot, which is marked WRITING. */
static void clear_orphan_bits(struct tipc_ring *ring, struct ring_slot *slot, uint64_t mask)
{
    for (int i = 0; i < TIPC_RING_MAX_READERS; i++)
        if ((mask & (UINT64_C(1) << i)) && atomic_load(&ring->readers[i].owner) == 0)
            atomic_fetch_and(&slot->readers, ~(UINT64_C(1) << i));
}

static tipc_status wait_for_holders(struct tipc_ring *ring, struct ring_slot *slot,
                                    uint64_t old_seq, int64_t timeout_ns)
{
    int64_t start = tipc__mono_ns(), next_reap = start;
    int64_t deadline = tipc__deadline_after(timeout_ns);
    if (deadline < 0)
        deadline = INT64_MAX;
    uint64_t mask;
    for (unsigned spin = 0; (mask = atomic_load(&slot->readers)) != 0; spin++) {
        int64_t now = tipc__mono_ns();
        if (now >= next_reap || now >= deadline) {
            /* However short the timeout, dead holders are reclaimed first. */
            clear_orphan_bits(ring, slot, mask);
            tipc__ring_reclaim(ring, mask);
            next_reap = now + REAP_INTERVAL_NS;
            if ((mask = atomic_load(&slot->readers)) == 0)
                break;
            if (now >= deadline) {
                atomic_store(&slot->seq, old_seq); /* nothing was written: keep it */
                uint64_t owner = atomic_load(&ring->readers[__builtin_ctzll(mask)].owner);
                return tipc__fail(TIPC_E_TIMEOUT,
                                  "pool '%s': put timed out after %lld ms: a reader (pid %d) "
                                  "holds frame %llu; release views sooner or raise history_len",
                                  ring->name, (long long)(timeout_ns / 1000000),
                                  (int)tipc__proc_identity_pid(owner & ~RECLAIMING),
                                  (unsigned long long)(old_seq ? (old_seq & ~SEQ_WRITING) - 1 : 0));
            }
            continue;
        }
        if (spin < 64)
            sched_yield();
        else
            nap(spin < 256 ? 20000 : 200000);
    }
    return TIPC_OK;
}

tipc_status tipc__ring_begin_write(struct tipc_ring *ring, uint64_t index, int64_t timeout_ns,
                                   uint32_t *out_slot)
{
    uint32_t s = (uint32_t)(index % ring->history_len);
    struct ring_slot *slot = &ring->slots[s];
    *out_slot = s;
    const uint64_t old_seq = atomic_load(&slot->seq);
    /* Mark first, then look for readers: a reader sets its bit, then checks
     * seq; with seq_cst ordering one of the two sides sees the other. */
    atomic_store(&slot->seq, (index + 1) | SEQ_WRITING);
    TIPC_HOOK("write.marked");
    if (atomic_load(&slot->readers) == 0)
        return TIPC_OK;
    return wait_for_holders(ring, slot, old_seq, timeout_ns);
}

void tipc__ring_discard(struct tipc_ring *ring, uint64_t index)
{
    atomic_store(&ring->slots[index % ring->history_len].seq, 0);
}

int64_t tipc__ring_commit(struct tipc_ring *ring, uint64_t index)
{
    return tipc__ring_commit_at(ring, index, tipc_now_ns());
}

int64_t tipc__ring_commit_at(struct tipc_ring *ring, uint64_t index, int64_t stamp)
{
    struct ring_slot *slot = &ring->slots[index % ring->history_len];
    struct ring_ctl *c = ring->ctl;
    atomic_store_explicit(&slot->timestamp_ns, stamp, memory_order_relaxed);
    /* Release is enough here: a reader that sees either count also sees the
     * frame and the slot's seq written before it. The seq_cst handshake is
     * between begin_write's mark and the readers' bits, not here. */
    atomic_store_explicit(&slot->seq, index + 1, memory_order_release);
    TIPC_HOOK("commit.slot");
    atomic_store_explicit(&c->write_seq, index + 1, memory_order_release);
    atomic_fetch_add(&c->notify, 1);
    if (atomic_load(&c->waiters))
        futex(&c->notify, FUTEX_WAKE, INT_MAX, NULL);
    return stamp;
}

void tipc__ring_close(struct tipc_ring *ring)
{
    atomic_store(&ring->ctl->state, RING_CLOSED);
    atomic_fetch_add(&ring->ctl->notify, 1);
    futex(&ring->ctl->notify, FUTEX_WAKE, INT_MAX, NULL);
}

/* ------------------------------------------------------------------------ */
/* Reader                                                                   */
/* ------------------------------------------------------------------------ */

static int hold(struct tipc_ring *ring, uint64_t index)
{
    uint32_t s = (uint32_t)(index % ring->history_len);
    struct ring_slot *slot = &ring->slots[s];
    uint64_t bit = UINT64_C(1) << ring->index;
    int ok;
    pthread_mutex_lock(&ring->hold_lock);
    if (ring->holds[s]) {
        ok = atomic_load(&slot->seq) == index + 1;
    } else {
        atomic_fetch_or(&slot->readers, bit);
        TIPC_HOOK("hold.marked");
        ok = atomic_load(&slot->seq) == index + 1;
        if (!ok)
            atomic_fetch_and(&slot->readers, ~bit);
    }
    if (ok)
        ring->holds[s]++;
    pthread_mutex_unlock(&ring->hold_lock);
    return ok;
}

void tipc__ring_unhold(struct tipc_ring *ring, uint64_t index)
{
    uint32_t s = (uint32_t)(index % ring->history_len);
    pthread_mutex_lock(&ring->hold_lock);
    if (ring->holds[s] && --ring->holds[s] == 0)
        atomic_fetch_and(&ring->slots[s].readers, ~(UINT64_C(1) << ring->index));
    pthread_mutex_unlock(&ring->hold_lock);
}

tipc_status tipc__ring_wait(struct tipc_ring *ring, uint64_t seen, int64_t deadline)
{
    struct ring_ctl *c = ring->ctl;
    for (int check_producer = 0;;) {
        uint32_t word = atomic_load(&c->notify);
        if (atomic_load(&c->write_seq) > seen)
            return TIPC_OK;
        /* The state word is cheap; /proc is read only after a quiet slice. */
        if (atomic_load(&c->state) != RING_LIVE ||
            (check_producer && !tipc__proc_alive(ring->producer_pid, ring->producer_start)))
            return tipc__fail(TIPC_E_CLOSED, "pool '%s': the producer (pid %d) is gone",
                              ring->name, (int)ring->producer_pid);
        int64_t now = tipc__mono_ns();
        if (deadline >= 0 && now >= deadline)
            return tipc__fail(TIPC_E_TIMEOUT, "pool '%s': no new frame in time", ring->name);
        int64_t slice = WAIT_SLICE_NS;
        if (deadline >= 0 && deadline - now < slice)
            slice = deadline - now;
        struct timespec ts = {(time_t)(slice / 1000000000), (long)(slice % 1000000000)};
        atomic_fetch_add(&c->waiters, 1);
        check_producer = atomic_load(&c->write_seq) <= seen &&
                         futex(&c->notify, FUTEX_WAIT, word, &ts) != 0 && errno == ETIMEDOUT;
        atomic_fetch_sub(&c->waiters, 1);
    }
}

/* Back off while the producer laps the reader; give up after READ_RETRY_NS. */
static tipc_status lapped(struct tipc_ring *ring, int64_t *deadline, unsigned attempt)
{
    int64_t now = tipc__mono_ns();
    if (attempt == 1)
        *deadline = now + READ_RETRY_NS;
    else if (attempt % 1024 == 0 && !tipc__ring_live(ring))
        return tipc__fail(TIPC_E_CLOSED, "pool '%s': the producer died while writing", ring->name);
    else if (now >= *deadline)
        return tipc__fail(TIPC_E_BUSY,
                          "pool '%s': the producer overwrote the frames being read for %lld ms; "
                          "raise history_len", ring->name, READ_RETRY_NS / 1000000);
    if (attempt > 8)
        sched_yield();
    return TIPC_OK;
}

static tipc_status slot_corrupt(const struct tipc_ring *ring, uint32_t slot, uint64_t seq)
{
    return tipc__fail(TIPC_E_CORRUPT, "pool '%s': slot %u of the ring is corrupted (seq %#llx)",
                      ring->name, slot, (unsigned long long)seq);
}

/* Visit the held frame @p index at @p pos; let it go unless @p keep (or
 * the visitor failed). */
static tipc_status visit_held(struct tipc_ring *ring, uint64_t index, uint32_t pos, int keep,
                              tipc_ring_visit_fn visit, void *ctx)
{
    uint32_t slot = (uint32_t)(index % ring->history_len);
    struct tipc_ring_frame f = {
        .pos = pos,
        .slot = slot,
        .index = index,
        .timestamp_ns =
            atomic_load_explicit(&ring->slots[slot].timestamp_ns, memory_order_relaxed),
    };
    tipc_status st = visit(ctx, &f);
    if (!keep || st)
        tipc__ring_unhold(ring, index);
    return st;
}

tipc_status tipc__ring_read(struct tipc_ring *ring, uint32_t count, int oldest_first, int keep,
                            tipc_ring_visit_fn visit, void *ctx, uint64_t *out_written,
                            uint32_t *out_avail)
{
    const uint32_t H = ring->history_len;
    int64_t retry_deadline = 0;
    for (unsigned attempt = 0;; attempt++) {
        uint64_t w = atomic_load(&ring->ctl->write_seq);
        if (w == 0)
            return tipc__fail(TIPC_E_NO_DATA, "pool '%s': no frame written yet", ring->name);
        int64_t avail = w < count ? (int64_t)w : (int64_t)count;
        int64_t k = avail - 1;
        tipc_status st = TIPC_OK;
        for (; k >= 0; k--) {
            uint64_t idx = w - 1 - (uint64_t)k;
            uint32_t slot = (uint32_t)(idx % H);
            if (!hold(ring, idx)) {
                uint64_t seq = atomic_load(&ring->slots[slot].seq);
                if (!seq_plausible(seq, slot, H)) {
                    st = slot_corrupt(ring, slot, seq);
                    break;
                }
                /* Gone for good, so it reads as padding: the producer is
                 * writing the next frame into its slot, or discarded a loan. */
                if (k > 0 && k == avail - 1 &&
                    (seq == 0 || ((seq & SEQ_WRITING) && (seq & ~SEQ_WRITING) == idx + H + 1))) {
                    avail--;
                    continue;
                }
                if (k == 0 && seq == 0 && atomic_load(&ring->ctl->write_seq) == w) {
                    st = tipc__fail(TIPC_E_NO_DATA, "pool '%s': the newest frame was discarded",
                                    ring->name);
                    break;
                }
                break; /* overtaken: read again */
            }
            st = visit_held(ring, idx, oldest_first ? count - 1 - (uint32_t)k : (uint32_t)k, keep,
                            visit, ctx);
            if (st)
                break;
        }
        if (k < 0) {
            *out_written = w;
            *out_avail = (uint32_t)avail;
            return TIPC_OK;
        }
        if (keep) /* let go of what this attempt held */
            for (int64_t j = k + 1; j < avail; j++)
                tipc__ring_unhold(ring, w - 1 - (uint64_t)j);
        if (st)
            return st;
        st = lapped(ring, &retry_deadline, attempt + 1);
        if (st)
            return st;
    }
}

tipc_status tipc__ring_read_one(struct tipc_ring *ring, uint64_t index, int keep,
                                tipc_ring_visit_fn visit, void *ctx)
{
    const uint32_t H = ring->history_len;
    uint64_t w = atomic_load(&ring->ctl->write_seq);
    if (index >= w)
        return tipc__fail(TIPC_E_NO_DATA, "pool '%s': frame %llu is not written yet (%llu so far)",
                          ring->name, (unsigned long long)index, (unsigned long long)w);
    uint32_t slot = (uint32_t)(index % H);
    if (!hold(ring, index)) {
        uint64_t seq = atomic_load(&ring->slots[slot].seq);
        if (!seq_plausible(seq, slot, H))
            return slot_corrupt(ring, slot, seq);
        return tipc__fail(TIPC_E_NO_DATA,
                          "pool '%s': frame %llu was overwritten (history_len %u, %llu written)",
                          ring->name, (unsigned long long)index, H, (unsigned long long)w);
    }
    return visit_held(ring, index, 0, keep, visit, ctx);
}
