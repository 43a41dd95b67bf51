/* SPDX-License-Identifier: MIT */
/*
 * test_core_stream.c: read streams (mapped file, pipe, memory), write
 * streams (file, buffer) and atomic output (plugin.h: skc_output_begin
 * "creates a temporary file beside it"; commit renames, abort unlinks,
 * an existing file is never replaced without overwrite).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <skconv/plugin.h>

static const char ts_text[] = "0123456789abcdefghijklmnopqrstuvwxyz";

/* A fresh directory per test, removed (with its plain files) afterwards. */
static int ts_setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(4096);

    if (!dir)
        return -1;
    snprintf(dir, 4096, "%s/skconv-stream-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int ts_teardown(void **state)
{
    char *dir = *state, path[4200];
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (unlink(path) != 0)
                rmdir(path);
        }
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
    return 0;
}

static void ts_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static char *ts_read_file(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Entries of @p dir other than . and .. */
static int ts_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Read everything from @p s in small pieces. */
static size_t ts_drain(skc_stream *s, char *out, size_t cap)
{
    size_t total = 0, got;

    do {
        assert_int_equal(skc_stream_read(s, out + total, cap - total < 5 ? cap - total : 5,
                                         &got), SKC_OK);
        total += got;
    } while (got > 0 && total < cap);
    return total;
}

static void test_file_read_and_map(void **state)
{
    char path[4200], buf[128];
    skc_stream *s = NULL;
    const uint8_t *data;
    size_t size;

    snprintf(path, sizeof(path), "%s/in.bin", (char *)*state);
    ts_write_file(path, ts_text);
    assert_int_equal(skc_stream_open_read(path, &s, NULL, 0), SKC_OK);
    assert_string_equal(skc_stream_path(s), path);
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    assert_int_equal(size, strlen(ts_text));
    assert_memory_equal(data, ts_text, size);
    assert_int_equal(ts_drain(s, buf, sizeof(buf)), strlen(ts_text));
    assert_memory_equal(buf, ts_text, strlen(ts_text));
    skc_stream_free(s);
    skc_stream_free(NULL);
}

/* Dropping pages of a mapped file gives them back; reading them again
 * maps them in from the file, so the bytes never change. Other streams
 * (here: malloc'd memory, which madvise would zero) are left alone. */
static void test_drop(void **state)
{
    enum { N = 1 << 20 };
    char path[4200];
    uint8_t *pat = malloc(N), *own = malloc(N);
    skc_stream *s = NULL, *m = NULL;
    const uint8_t *data;
    size_t size, i;
    FILE *f;

    assert_non_null(pat);
    assert_non_null(own);
    for (i = 0; i < N; i++)
        pat[i] = (uint8_t)(i * 131u + (i >> 12));
    snprintf(path, sizeof(path), "%s/drop.bin", (char *)*state);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(pat, 1, N, f), N);
    fclose(f);
    assert_int_equal(skc_stream_open_read(path, &s, NULL, 0), SKC_OK);
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    assert_int_equal(size, N);
    assert_memory_equal(data, pat, N);
    skc_stream_drop(s, data + 1000, N / 2);       /* unaligned ends */
    skc_stream_drop(s, data, N);                  /* everything */
    skc_stream_drop(s, data + N - 10, 100);       /* past the end: ignored */
    skc_stream_drop(s, pat, N);                   /* not its bytes: ignored */
    skc_stream_drop(NULL, data, N);
    assert_memory_equal(data, pat, N);
    skc_stream_free(s);

    memcpy(own, pat, N);
    assert_int_equal(skc_stream_open_memory_take(own, N, &m), SKC_OK);
    assert_int_equal(skc_stream_map(m, &data, &size), SKC_OK);
    skc_stream_drop(m, data, N);
    assert_memory_equal(data, pat, N);
    skc_stream_free(m);
    free(pat);
}

static void test_empty_file(void **state)
{
    char path[4200], buf[8];
    skc_stream *s = NULL;
    const uint8_t *data;
    size_t size = 99, got = 99;

    snprintf(path, sizeof(path), "%s/empty", (char *)*state);
    ts_write_file(path, "");
    assert_int_equal(skc_stream_open_read(path, &s, NULL, 0), SKC_OK);
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    assert_int_equal(size, 0);
    assert_int_equal(skc_stream_read(s, buf, sizeof(buf), &got), SKC_OK);
    assert_int_equal(got, 0);
    skc_stream_free(s);
}

static void test_open_errors(void **state)
{
    char path[4200], err[512] = "";
    skc_stream *s = NULL;

    snprintf(path, sizeof(path), "%s/missing", (char *)*state);
    assert_int_equal(skc_stream_open_read(path, &s, err, sizeof(err)), SKC_E_NOT_FOUND);
    assert_null(s);
    assert_non_null(strstr(err, path));
    err[0] = '\0';
    assert_int_not_equal(skc_stream_open_read((char *)*state, &s, err, sizeof(err)), SKC_OK);
    assert_null(s);
    assert_non_null(strstr(err, (char *)*state));
    assert_int_equal(skc_stream_open_read(NULL, &s, NULL, 0), SKC_E_INVAL);
}

/* A pipe is not mappable: it is read as it comes, and map slurps it. */
static void test_pipe_read(void **state)
{
    int fds[2];
    char path[64];
    skc_stream *s = NULL;
    const uint8_t *data;
    size_t size;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], ts_text, strlen(ts_text)), (ssize_t)strlen(ts_text));
    close(fds[1]);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
    if (access(path, R_OK) != 0) {
        /* No /proc: nothing to test. Not cmocka's skip(): 1.1.5 prints
         * "not ok # SKIP" in TAP mode, which meson counts as a failure. */
        print_message("# no /proc/self/fd: pipe stream not tested\n");
        close(fds[0]);
        return;
    }
    assert_int_equal(skc_stream_open_read(path, &s, NULL, 0), SKC_OK);
    close(fds[0]);
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    assert_int_equal(size, strlen(ts_text));
    assert_memory_equal(data, ts_text, size);
    skc_stream_free(s);
}

static void test_memory(void **state)
{
    skc_stream *s = NULL;
    const uint8_t *data;
    size_t size;
    char buf[128];
    char *owned;

    (void)state;
    assert_int_equal(skc_stream_open_memory(ts_text, 10, &s), SKC_OK);
    assert_null(skc_stream_path(s));
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    assert_ptr_equal(data, (const uint8_t *)ts_text);   /* in place */
    assert_int_equal(size, 10);
    assert_int_equal(ts_drain(s, buf, sizeof(buf)), 10);
    assert_memory_equal(buf, ts_text, 10);
    skc_stream_free(s);

    assert_int_equal(skc_stream_open_memory(NULL, 0, &s), SKC_OK);
    skc_stream_free(s);
    assert_int_equal(skc_stream_open_memory(NULL, 3, &s), SKC_E_INVAL);

    /* The stream frees what it took (ASan checks the pairing). */
    owned = malloc(4);
    assert_non_null(owned);
    memcpy(owned, "abcd", 4);
    assert_int_equal(skc_stream_open_memory_take(owned, 4, &s), SKC_OK);
    assert_int_equal(ts_drain(s, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "abcd", 4);
    skc_stream_free(s);
}

static void test_buffer_write(void **state)
{
    skc_stream *s = NULL;
    const uint8_t *data;
    size_t size;
    int i;

    (void)state;
    assert_int_equal(skc_stream_open_buffer(&s), SKC_OK);
    for (i = 0; i < 1000; i++)
        assert_int_equal(skc_stream_write(s, ts_text, 10), SKC_OK);
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    assert_int_equal(size, 10000);
    assert_memory_equal(data + 9990, ts_text, 10);
    skc_stream_free(s);
}

static void test_file_write_never_overwrites(void **state)
{
    char path[4200], err[512] = "";
    skc_stream *s = NULL;

    snprintf(path, sizeof(path), "%s/out.bin", (char *)*state);
    assert_int_equal(skc_stream_open_write(path, &s, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_write(s, "hello", 5), SKC_OK);
    assert_int_equal(skc_stream_sync(s), SKC_OK);
    skc_stream_free(s);
    assert_string_equal(ts_read_file(path), "hello");

    s = NULL;
    assert_int_not_equal(skc_stream_open_write(path, &s, err, sizeof(err)), SKC_OK);
    assert_null(s);
    assert_string_equal(ts_read_file(path), "hello");
}

/* skc_stream_reserve(): room filled in place between ordinary writes, at
 * an offset that is not page-aligned; its unfilled bytes read as zeros;
 * nothing else may be written while it is open. */
static void ts_room(skc_stream *s, size_t n)
{
    uint8_t *room = NULL;
    void *p = NULL;
    size_t i;

    assert_int_equal(skc_stream_write(s, "head", 4), SKC_OK);
    assert_int_equal(skc_stream_reserve(s, n, &p), SKC_OK);
    room = p;
    assert_non_null(room);
    assert_int_equal(skc_stream_write(s, "x", 1), SKC_E_INVAL);
    assert_int_equal(skc_stream_reserve(s, 1, &p), SKC_E_INVAL);
    for (i = 0; i < n; i++)
        assert_int_equal(room[i], 0);
    for (i = 0; i + 1 < n; i++)          /* the last byte stays zero */
        room[i] = (uint8_t)(i % 251 + 1);
    assert_int_equal(skc_stream_commit_room(s), SKC_OK);
    assert_int_equal(skc_stream_commit_room(s), SKC_E_INVAL);
    assert_int_equal(skc_stream_write(s, "tail", 4), SKC_OK);
}

static void ts_room_check(const uint8_t *d, size_t size, size_t n)
{
    size_t i;

    assert_int_equal(size, 4 + n + 4);
    assert_memory_equal(d, "head", 4);
    for (i = 0; i + 1 < n; i++)
        assert_int_equal(d[4 + i], (uint8_t)(i % 251 + 1));
    assert_int_equal(d[4 + n - 1], 0);
    assert_memory_equal(d + 4 + n, "tail", 4);
}

static void test_reserve(void **state)
{
    const size_t n = 3 * 4096 + 5;
    char path[4200], err[512] = "";
    skc_stream *s = NULL, *r = NULL;
    const uint8_t *data;
    size_t size;
    void *p = NULL;

    snprintf(path, sizeof(path), "%s/room.bin", (char *)*state);
    assert_int_equal(skc_stream_open_write(path, &s, err, sizeof(err)), SKC_OK);
    ts_room(s, n);
    assert_int_equal(skc_stream_sync(s), SKC_OK);
    skc_stream_free(s);
    assert_int_equal(skc_stream_open_read(path, &r, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_map(r, &data, &size), SKC_OK);
    ts_room_check(data, size, n);
    /* Not a write stream; no room open. */
    assert_int_equal(skc_stream_reserve(r, 8, &p), SKC_E_INVAL);
    assert_int_equal(skc_stream_commit_room(r), SKC_E_INVAL);
    skc_stream_free(r);

    /* A file system that cannot allocate ahead: the room is memory,
     * written at the commit. */
    snprintf(path, sizeof(path), "%s/room_mem.bin", (char *)*state);
    setenv("SKCONV_ROOM", "memory", 1);
    assert_int_equal(skc_stream_open_write(path, &s, err, sizeof(err)), SKC_OK);
    ts_room(s, n);
    skc_stream_free(s);
    unsetenv("SKCONV_ROOM");
    assert_int_equal(skc_stream_open_read(path, &r, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_map(r, &data, &size), SKC_OK);
    ts_room_check(data, size, n);
    skc_stream_free(r);

    s = NULL;
    assert_int_equal(skc_stream_open_buffer(&s), SKC_OK);
    ts_room(s, n);
    assert_int_equal(skc_stream_map(s, &data, &size), SKC_OK);
    ts_room_check(data, size, n);
    skc_stream_free(s);

    /* An empty room, and a stream freed with its room still open. */
    snprintf(path, sizeof(path), "%s/room2.bin", (char *)*state);
    assert_int_equal(skc_stream_open_write(path, &s, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_reserve(s, 0, &p), SKC_OK);
    assert_non_null(p);
    assert_int_equal(skc_stream_commit_room(s), SKC_OK);
    assert_int_equal(skc_stream_reserve(s, 100000, &p), SKC_OK);
    memset(p, 7, 100000);
    skc_stream_free(s);
}

/* ---- atomic output ----------------------------------------------------- */

static void test_output_commit(void **state)
{
    char *dir = *state, path[4200], err[512] = "";
    skc_output *o = NULL;
    const char *tmp;
    struct stat st;

    snprintf(path, sizeof(path), "%s/model.onnx", dir);
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    tmp = skc_output_temp_path(o);
    assert_non_null(tmp);
    assert_string_not_equal(tmp, path);
    /* Beside the target, so the rename stays in one file system. */
    assert_memory_equal(tmp, dir, strlen(dir));
    assert_null(strchr(tmp + strlen(dir) + 1, '/'));
    assert_int_equal(stat(tmp, &st), 0);
    assert_int_not_equal(stat(path, &st), 0);   /* nothing visible yet */
    assert_int_equal(skc_stream_write(skc_output_stream(o), "model", 5), SKC_OK);
    assert_int_equal(skc_output_commit(o, err, sizeof(err)), SKC_OK);
    assert_string_equal(ts_read_file(path), "model");
    assert_int_equal(ts_count_entries(dir), 1);  /* no temporary left */
}

static void test_output_abort(void **state)
{
    char *dir = *state, path[4200], err[512] = "";
    skc_output *o = NULL;

    snprintf(path, sizeof(path), "%s/model.onnx", dir);
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_write(skc_output_stream(o), "half", 4), SKC_OK);
    skc_output_abort(o);
    assert_int_equal(ts_count_entries(dir), 0);
    skc_output_abort(NULL);
}

static void test_output_refuses_overwrite(void **state)
{
    char *dir = *state, path[4200], err[512] = "";
    skc_output *o = NULL;

    snprintf(path, sizeof(path), "%s/model.onnx", dir);
    ts_write_file(path, "old");
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_E_EXISTS);
    assert_null(o);
    assert_non_null(strstr(err, path));
    assert_string_equal(ts_read_file(path), "old");
    assert_int_equal(ts_count_entries(dir), 1);

    /* With overwrite the old file is replaced only at commit. */
    assert_int_equal(skc_output_begin(path, 1, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_write(skc_output_stream(o), "new", 3), SKC_OK);
    assert_string_equal(ts_read_file(path), "old");
    assert_int_equal(skc_output_commit(o, err, sizeof(err)), SKC_OK);
    assert_string_equal(ts_read_file(path), "new");
    assert_int_equal(ts_count_entries(dir), 1);
}

/* The target appears while we write: commit without overwrite must not
 * replace it, and must clean up its temporary file. */
static void test_output_race(void **state)
{
    char *dir = *state, path[4200], err[512] = "";
    skc_output *o = NULL;

    snprintf(path, sizeof(path), "%s/model.onnx", dir);
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_write(skc_output_stream(o), "mine", 4), SKC_OK);
    ts_write_file(path, "theirs");
    assert_int_equal(skc_output_commit(o, err, sizeof(err)), SKC_E_EXISTS);
    assert_string_equal(ts_read_file(path), "theirs");
    assert_int_equal(ts_count_entries(dir), 1);
}

static void test_output_bad_directories(void **state)
{
    char *dir = *state, path[4200], err[512] = "";
    skc_output *o = NULL;

    snprintf(path, sizeof(path), "%s/no-such-dir/model.onnx", dir);
    assert_int_equal(skc_output_begin(path, 1, &o, err, sizeof(err)), SKC_E_IO);
    assert_null(o);
    assert_non_null(strstr(err, path));

    /* The parent is a regular file: fails for every user, root included. */
    snprintf(path, sizeof(path), "%s/file", dir);
    ts_write_file(path, "x");
    snprintf(path, sizeof(path), "%s/file/model.onnx", dir);
    err[0] = '\0';
    assert_int_equal(skc_output_begin(path, 1, &o, err, sizeof(err)), SKC_E_IO);
    assert_null(o);
    assert_non_null(strstr(err, path));

    /* The target is a directory. */
    err[0] = '\0';
    assert_int_not_equal(skc_output_begin(dir, 1, &o, err, sizeof(err)), SKC_OK);
    assert_null(o);
    assert_true(strlen(err) > 0);

    /* Not writable (only meaningful when not root). */
    if (geteuid() != 0) {
        snprintf(path, sizeof(path), "%s/ro", dir);
        assert_int_equal(mkdir(path, 0555), 0);
        snprintf(path, sizeof(path), "%s/ro/model.onnx", dir);
        err[0] = '\0';
        assert_int_equal(skc_output_begin(path, 1, &o, err, sizeof(err)), SKC_E_IO);
        assert_null(o);
        assert_non_null(strstr(err, path));
        snprintf(path, sizeof(path), "%s/ro", dir);
        chmod(path, 0755);
    }
    assert_int_equal(skc_output_begin(NULL, 0, &o, NULL, 0), SKC_E_INVAL);
    assert_int_equal(skc_output_begin("", 0, &o, NULL, 0), SKC_E_INVAL);
}

/* Side files (ONNX external data): placed with the output, removed with
 * it, refused like it when they exist. */
static void test_output_sides(void **state)
{
    char *dir = *state, path[4200], side[4300], err[512] = "";
    skc_output *o = NULL;
    skc_stream *st = NULL, *st2 = NULL;
    const char *final = NULL, *tmp = NULL;

    snprintf(path, sizeof(path), "%s/model.onnx", dir);
    snprintf(side, sizeof(side), "%s.data", path);
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_output_add_side(o, ".data", &st, &final, err, sizeof(err)), SKC_OK);
    assert_string_equal(final, side);
    assert_int_equal(skc_output_side_count(o), 1);
    assert_string_equal(skc_output_side_path(o, 0, &tmp), side);
    assert_string_not_equal(tmp, side);
    assert_null(skc_output_side_path(o, 1, NULL));
    assert_int_equal(skc_output_add_side(o, ".data", &st2, NULL, err, sizeof(err)),
                     SKC_E_INVAL);
    assert_int_equal(skc_output_add_side(o, "/x", &st2, NULL, err, sizeof(err)), SKC_E_INVAL);
    assert_int_equal(skc_output_add_side(o, ".a/b", &st2, NULL, err, sizeof(err)),
                     SKC_E_INVAL);
    assert_int_equal(skc_stream_write(st, "tensors", 7), SKC_OK);
    assert_int_equal(skc_stream_write(skc_output_stream(o), "model", 5), SKC_OK);
    assert_int_equal(ts_count_entries(dir), 2);     /* two temporaries */
    skc_output_abort(o);
    assert_int_equal(ts_count_entries(dir), 0);

    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_output_add_side(o, ".data", &st, NULL, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_write(st, "tensors", 7), SKC_OK);
    assert_int_equal(skc_stream_write(skc_output_stream(o), "model", 5), SKC_OK);
    assert_int_equal(skc_output_commit(o, err, sizeof(err)), SKC_OK);
    assert_string_equal(ts_read_file(path), "model");
    assert_string_equal(ts_read_file(side), "tensors");
    assert_int_equal(ts_count_entries(dir), 2);

    /* An existing side file is refused without overwrite... */
    unlink(path);
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    err[0] = '\0';
    assert_int_equal(skc_output_add_side(o, ".data", &st, NULL, err, sizeof(err)),
                     SKC_E_EXISTS);
    assert_non_null(strstr(err, side));
    skc_output_abort(o);
    assert_string_equal(ts_read_file(side), "tensors");
    assert_int_equal(ts_count_entries(dir), 1);

    /* ... and when the main file appears meanwhile, the side file placed
     * by that commit is removed again. */
    unlink(side);
    assert_int_equal(skc_output_begin(path, 0, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_output_add_side(o, ".data", &st, NULL, err, sizeof(err)), SKC_OK);
    ts_write_file(path, "theirs");
    assert_int_equal(skc_output_commit(o, err, sizeof(err)), SKC_E_EXISTS);
    assert_string_equal(ts_read_file(path), "theirs");
    assert_int_equal(ts_count_entries(dir), 1);

    /* With overwrite both are replaced at commit. */
    ts_write_file(side, "old");
    assert_int_equal(skc_output_begin(path, 1, &o, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_output_add_side(o, ".data", &st, NULL, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_stream_write(st, "new", 3), SKC_OK);
    assert_int_equal(skc_stream_write(skc_output_stream(o), "mine", 4), SKC_OK);
    assert_string_equal(ts_read_file(side), "old");
    assert_int_equal(skc_output_commit(o, err, sizeof(err)), SKC_OK);
    assert_string_equal(ts_read_file(path), "mine");
    assert_string_equal(ts_read_file(side), "new");
    assert_int_equal(ts_count_entries(dir), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_read_and_map, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, ts_setup, ts_teardown),
        cmocka_unit_test(test_pipe_read),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_buffer_write),
        cmocka_unit_test_setup_teardown(test_file_write_never_overwrites, ts_setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_drop, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_reserve, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_output_commit, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_output_abort, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_output_refuses_overwrite, ts_setup,
                                        ts_teardown),
        cmocka_unit_test_setup_teardown(test_output_race, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_output_sides, ts_setup, ts_teardown),
        cmocka_unit_test_setup_teardown(test_output_bad_directories, ts_setup,
                                        ts_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
