/* SPDX-License-Identifier: MIT */
/* cmd_migrate.c: `skconv migrate`: convert a directory or archive of legacy models, resumable and shardable. */
#define _GNU_SOURCE  /* syncfs */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <nettle/sha2.h>
#include "convert.h"

#define MIG_MAX_JOBS 64
#define MIG_MAX_OPTS 64

/* Status of one file in the report; names are stable (scripts read them). */
enum mig_status {
    MS_CONVERTED = 0, MS_CONVERTED_WARN, MS_SKIPPED, MS_NOT_MODEL, MS_UNSUPPORTED,
    MS_UNTRUSTED, MS_MALICIOUS, MS_CORRUPT, MS_VERIFY_FAILED, MS_WRITE_FAILED,
    MS_COLLISION, MS_EXISTS, MS_SYMLINK, MS_UNREADABLE, MS_CRASHED, MS_WOULD_CONVERT,
    MS_COUNT
};

static const char *const mig_status_names[MS_COUNT] = {
    "converted", "converted-with-warnings", "skipped", "not-a-model", "unsupported",
    "untrusted", "malicious", "corrupt", "verify-failed", "write-failed",
    "collision", "exists", "symlink-outside", "unreadable", "crashed", "would-convert"
};

typedef struct mig_file {
    char *rel;                 /* path relative to SRC            */
    char *out_rel;             /* output path relative to DST     */
    int64_t size;
    int status;
    char *reason;
    char *klass;
    char *sklearn_version;
    char *verdict;
    char *verification;
    char sha256[65];
    char out_sha256[65];
    int64_t out_size;
    char *data_name;           /* the output's side file (external data), or NULL */
    char data_sha256[65];
    int64_t data_size;
    double seconds;
    int pending;               /* still to convert                */
    int overwrite_own;         /* DST holds our output of an older source */
} mig_file;

typedef struct mig_args {
    const char *src;
    const char *dst;
    const char *to;
    const char *report;
    const char *csv;
    const char *wopts[MIG_MAX_OPTS];
    int n_wopts;
    int jobs;
    int dry_run;
    int force;
    int no_verify;
    int shard_k, shard_n;
    int merge;
    const char *merge_files[4096];
    int n_merge;
} mig_args;

typedef struct mig_run {
    mig_args *a;
    cli_globals *g;
    skc_context *ctx;
    const skc_format *writer;
    char src_root[PATH_MAX];   /* real path of the source directory  */
    char dst_root[PATH_MAX];   /* where outputs go (staging for archives) */
    char tmp_extract[PATH_MAX];/* extracted source archive, or ""     */
    char tmp_stage[PATH_MAX];  /* staging for an archive destination  */
    int dst_archive;           /* 1 tar, 2 tar.gz, 3 tar.xz, 4 zip    */
    mig_file *files;
    size_t n_files, cap_files;
    size_t done;
    double t0;
    int tty;
} mig_run;

/* snprintf for paths and messages; a result that does not fit is cut,
 * which for a path only makes the later open fail with a clear error. */
static int mig_fmt(char *buf, size_t n, const char *fmt, ...) SKC_PRINTF(3, 4);

static int mig_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

static double mig_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static char *mig_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int mig_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- hashing ------------------------------------------------------------- */

static int mig_sha256_file(const char *path, char hex[65])
{
    struct sha256_ctx h;
    uint8_t buf[1 << 16], dg[SHA256_DIGEST_SIZE];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), i;

    if (fd < 0)
        return -1;
    sha256_init(&h);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        sha256_update(&h, (size_t)n, buf);
    close(fd);
    if (n < 0)
        return -1;
    sha256_digest(&h, sizeof(dg), dg);
    for (i = 0; i < SHA256_DIGEST_SIZE; i++)
        mig_fmt(hex + 2 * i, 3, "%02x", dg[i]);
    return 0;
}

/* FNV-1a 64 of the relative path: the same shard on every machine. */
static uint64_t mig_fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- arguments ------------------------------------------------------------ */

static int mig_parse(cli_globals *g, mig_args *a, int argc, char **argv)
{
    int i, r;

    a->jobs = 1;
    a->to = "onnx";
    for (i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            help_command("migrate");
            return -1;
        }
        r = cli_global_option(g, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (!strcmp(s, "--dry-run")) {
            a->dry_run = 1;
        } else if (!strcmp(s, "--force")) {
            a->force = 1;
        } else if (!strcmp(s, "--no-verify")) {
            a->no_verify = 1;
        } else if (!strcmp(s, "--merge-reports")) {
            a->merge = 1;
        } else if (!strcmp(s, "-o") || !strcmp(s, "--output") || !strcmp(s, "-t") ||
                   !strcmp(s, "--to") || !strcmp(s, "-j") || !strcmp(s, "--jobs") ||
                   !strcmp(s, "--report") || !strcmp(s, "--csv") || !strcmp(s, "--shard") ||
                   !strcmp(s, "-O")) {
            const char *v;
            if (i + 1 >= argc) {
                cli_usage_error("migrate ", "%s needs a value", s);
                return CLI_EXIT_USAGE;
            }
            v = argv[++i];
            if (!strcmp(s, "-o") || !strcmp(s, "--output")) {
                a->dst = v;
            } else if (!strcmp(s, "-t") || !strcmp(s, "--to")) {
                a->to = v;
            } else if (!strcmp(s, "--report")) {
                a->report = v;
            } else if (!strcmp(s, "--csv")) {
                a->csv = v;
            } else if (!strcmp(s, "-O")) {
                if (a->n_wopts >= MIG_MAX_OPTS) {
                    cli_usage_error("migrate ", "too many -O options");
                    return CLI_EXIT_USAGE;
                }
                a->wopts[a->n_wopts++] = v;
            } else if (!strcmp(s, "--shard")) {
                if (sscanf(v, "%d/%d", &a->shard_k, &a->shard_n) != 2 || a->shard_n < 1 ||
                    a->shard_k < 0 || a->shard_k >= a->shard_n) {
                    cli_usage_error("migrate ", "--shard takes K/N with 0 <= K < N, not '%s'", v);
                    return CLI_EXIT_USAGE;
                }
            } else {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > MIG_MAX_JOBS) {
                    cli_usage_error("migrate ", "-j takes 1 to %d", MIG_MAX_JOBS);
                    return CLI_EXIT_USAGE;
                }
                a->jobs = (int)n;
            }
        } else if (s[0] == '-' && s[1]) {
            cli_usage_error("migrate ", "unknown option '%s'", s);
            return CLI_EXIT_USAGE;
        } else if (a->merge) {
            if (a->n_merge >= 4096) {
                cli_usage_error("migrate ", "too many reports");
                return CLI_EXIT_USAGE;
            }
            a->merge_files[a->n_merge++] = s;
        } else if (!a->src) {
            a->src = s;
        } else {
            cli_usage_error("migrate ", "unexpected argument '%s'", s);
            return CLI_EXIT_USAGE;
        }
    }
    if (a->merge) {
        if (a->n_merge == 0 && a->src)
            a->merge_files[a->n_merge++] = a->src;
        if (a->n_merge == 0 || !a->dst) {
            cli_usage_error("migrate ", "--merge-reports needs report files and -o MERGED.json");
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    if (!a->src || !a->dst) {
        cli_usage_error("migrate ", "need SRC and -o DST");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- walking the source ----------------------------------------------------- */

static int mig_add(mig_run *run, const char *rel, int64_t size, int status, const char *reason)
{
    mig_file *f;

    if (run->n_files == run->cap_files) {
        size_t nc = run->cap_files ? run->cap_files * 2 : 256;
        mig_file *nf = realloc(run->files, nc * sizeof(*nf));
        if (!nf)
            return SKC_E_NOMEM;
        run->files = nf;
        run->cap_files = nc;
    }
    f = &run->files[run->n_files++];
    memset(f, 0, sizeof(*f));
    f->rel = mig_dup(rel);
    f->size = size;
    f->status = status;
    f->reason = mig_dup(reason);
    f->pending = status < 0;
    return f->rel ? SKC_OK : SKC_E_NOMEM;
}

static int mig_inside(const char *root, const char *path)
{
    size_t n = strlen(root);

    return strncmp(root, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Depth-first, sorted walk; symbolic links are followed only to regular
 * files inside the source tree, directories never through links. */
static int mig_walk(mig_run *run, const char *rel, int depth)
{
    char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX], real[PATH_MAX];
    struct dirent **ents = NULL;
    struct stat st;
    int n, i, rc = SKC_OK;

    if (depth > 64)
        return SKC_OK;
    mig_fmt(dir, sizeof(dir), "%s%s%s", run->src_root, *rel ? "/" : "", rel);
    n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0)
        return mig_add(run, *rel ? rel : ".", 0, MS_UNREADABLE, strerror(errno));
    for (i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || rc) {
            free(ents[i]);
            continue;
        }
        if ((size_t)mig_fmt(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", nm) >= sizeof(sub) ||
            (size_t)mig_fmt(path, sizeof(path), "%s/%s", run->src_root, sub) >= sizeof(path)) {
            free(ents[i]);
            continue;
        }
        free(ents[i]);
        if (lstat(path, &st) != 0) {
            rc = mig_add(run, sub, 0, MS_UNREADABLE, strerror(errno));
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            struct stat tst;
            if (!realpath(path, real) || !mig_inside(run->src_root, real)) {
                rc = mig_add(run, sub, 0, MS_SYMLINK, "symbolic link leaves the source tree; not followed");
            } else if (stat(real, &tst) == 0 && S_ISREG(tst.st_mode)) {
                rc = mig_add(run, sub, (int64_t)tst.st_size, -1, NULL);
            } else if (stat(real, &tst) == 0 && S_ISDIR(tst.st_mode)) {
                rc = mig_add(run, sub, 0, MS_SYMLINK, "link to a directory; not followed");
            }
            continue;
        }
        if (S_ISDIR(st.st_mode))
            rc = mig_walk(run, sub, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = mig_add(run, sub, (int64_t)st.st_size, -1, NULL);
    }
    free(ents);
    return rc;
}

/* ---- archives ---------------------------------------------------------------- */

/* Extract a source archive into a private directory. Entries with absolute
 * paths, "..", links or devices are refused by libarchive's secure flags
 * and by the filter below; the run then walks the directory. */
static int mig_extract(mig_run *run, const char *archive_path)
{
    struct archive *ar = archive_read_new(), *disk = archive_write_disk_new();
    struct archive_entry *e;
    char tmpl[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    int rc = SKC_OK, r;

    mig_fmt(tmpl, sizeof(tmpl), "%s/skconv-migrate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        cli_error("%s: cannot create a temporary directory: %s", tmpl, strerror(errno));
        rc = SKC_E_IO;
        goto done;
    }
    mig_fmt(run->tmp_extract, sizeof(run->tmp_extract), "%s", tmpl);
    archive_read_support_filter_all(ar);
    archive_read_support_format_tar(ar);
    archive_read_support_format_zip(ar);
    /* Entry names are checked below and then prefixed with our private
     * directory, so the absolute-path guard would refuse our own prefix. */
    archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    if (archive_read_open_filename(ar, archive_path, 1 << 16) != ARCHIVE_OK) {
        cli_error("%s: not a readable tar or zip archive: %s", archive_path,
                  archive_error_string(ar));
        rc = SKC_E_FORMAT;
        goto done;
    }
    while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
        char dest[PATH_MAX];
        const char *name = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        if (!name || (type != AE_IFREG && type != AE_IFDIR))
            continue;   /* links, devices: nothing a model needs */
        if (name[0] == '/' || strstr(name, "../") || !strcmp(name, "..")) {
            cli_error("%s: entry '%s' escapes the archive; skipped", archive_path, name);
            continue;
        }
        mig_fmt(dest, sizeof(dest), "%s/%s", tmpl, name);
        archive_entry_set_pathname(e, dest);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        if (archive_write_header(disk, e) == ARCHIVE_OK && type == AE_IFREG) {
            const void *buf;
            size_t size;
            la_int64_t off;
            while (archive_read_data_block(ar, &buf, &size, &off) == ARCHIVE_OK)
                if (archive_write_data_block(disk, buf, size, off) != ARCHIVE_OK)
                    break;
        }
        archive_write_finish_entry(disk);
    }
    if (r != ARCHIVE_EOF) {
        cli_error("%s: archive is damaged: %s", archive_path, archive_error_string(ar));
        rc = SKC_E_FORMAT;
    }
done:
    archive_read_free(ar);
    archive_write_free(disk);
    return rc;
}

static int mig_dst_archive_kind(const char *dst)
{
    if (mig_ends_with(dst, ".tar"))
        return 1;
    if (mig_ends_with(dst, ".tar.gz") || mig_ends_with(dst, ".tgz"))
        return 2;
    if (mig_ends_with(dst, ".tar.xz"))
        return 3;
    if (mig_ends_with(dst, ".zip"))
        return 4;
    return 0;
}

static int mig_pack_walk(struct archive *aw, const char *root, const char *rel)
{
    char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX];
    struct dirent **ents = NULL;
    struct stat st;
    int n, i, rc = SKC_OK;

    mig_fmt(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
    n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0)
        return SKC_E_IO;
    for (i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..") && rc == SKC_OK) {
            mig_fmt(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", nm);
            mig_fmt(path, sizeof(path), "%s/%s", root, sub);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                rc = mig_pack_walk(aw, root, sub);
            } else if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                struct archive_entry *e = archive_entry_new();
                char buf[1 << 16];
                ssize_t k;
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                archive_entry_set_pathname(e, sub);
                archive_entry_set_size(e, st.st_size);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_mtime(e, st.st_mtime, 0);
                if (fd < 0 || archive_write_header(aw, e) != ARCHIVE_OK)
                    rc = SKC_E_IO;
                while (rc == SKC_OK && (k = read(fd, buf, sizeof(buf))) > 0)
                    if (archive_write_data(aw, buf, (size_t)k) != k)
                        rc = SKC_E_IO;
                if (fd >= 0)
                    close(fd);
                archive_entry_free(e);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* Pack the staging directory into DST atomically (temporary name, rename). */
static int mig_pack(mig_run *run)
{
    struct archive *aw = archive_write_new();
    char tmp[PATH_MAX];
    int rc;

    mig_fmt(tmp, sizeof(tmp), "%s.tmp-%ld", run->a->dst, (long)getpid());
    if (run->dst_archive == 4) {
        archive_write_set_format_zip(aw);
    } else {
        archive_write_set_format_pax_restricted(aw);
        if (run->dst_archive == 2)
            archive_write_add_filter_gzip(aw);
        else if (run->dst_archive == 3)
            archive_write_add_filter_xz(aw);
    }
    if (archive_write_open_filename(aw, tmp) != ARCHIVE_OK) {
        cli_error("%s: cannot write: %s", run->a->dst, archive_error_string(aw));
        archive_write_free(aw);
        return SKC_E_IO;
    }
    rc = mig_pack_walk(aw, run->tmp_stage, "");
    if (archive_write_close(aw) != ARCHIVE_OK)
        rc = SKC_E_IO;
    archive_write_free(aw);
    if (rc == SKC_OK && rename(tmp, run->a->dst) != 0)
        rc = SKC_E_IO;
    if (rc) {
        cli_error("%s: cannot write the archive", run->a->dst);
        unlink(tmp);
    }
    return rc;
}

static void mig_rmtree(const char *path)
{
    struct dirent **ents = NULL;
    char sub[PATH_MAX];
    struct stat st;
    int n, i;

    if (!path[0])
        return;
    n = scandir(path, &ents, NULL, NULL);
    for (i = 0; i < n; i++) {
        if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
            mig_fmt(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                mig_rmtree(sub);
            else
                unlink(sub);
        }
        free(ents[i]);
    }
    free(ents);
    rmdir(path);
}

/* ---- outputs ----------------------------------------------------------------- */

static int mig_mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    char *p;

    mig_fmt(tmp, sizeof(tmp), "%s", path);
    for (p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Output name: the source's relative path with its last extension replaced. */
static char *mig_out_rel(const char *rel, const skc_format *w)
{
    const char *slash = strrchr(rel, '/'), *base = slash ? slash + 1 : rel;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - rel) : strlen(rel);
    size_t extlen = strcspn(w->extensions, ",");
    char *out = malloc(stem + extlen + 2);

    if (!out)
        return NULL;
    memcpy(out, rel, stem);
    out[stem] = '.';
    memcpy(out + stem + 1, w->extensions, extlen);
    out[stem + 1 + extlen] = '\0';
    return out;
}

static char *mig_sidecar_path(const mig_run *run, const char *out_rel)
{
    char buf[PATH_MAX];

    mig_fmt(buf, sizeof(buf), "%s/%s.json", run->dst_root, out_rel);
    return strdup(buf);
}

/* Already converted from this very source? (sidecar hash and output present) */
static int mig_already_done(const mig_run *run, const mig_file *f)
{
    char *side = mig_sidecar_path(run, f->out_rel), out[PATH_MAX];
    json_object *j, *v;
    int done = 0;
    struct stat st;

    if (!side)
        return 0;
    j = json_object_from_file(side);
    mig_fmt(out, sizeof(out), "%s/%s", run->dst_root, f->out_rel);
    if (j && json_object_object_get_ex(j, "source_sha256", &v) &&
        strcmp(json_object_get_string(v), f->sha256) == 0 && stat(out, &st) == 0 &&
        /* An output cut short by a crash before the final sync is redone. */
        json_object_object_get_ex(j, "output_size", &v) &&
        json_object_get_int64(v) == (int64_t)st.st_size &&
        json_object_object_get_ex(j, "status", &v) &&
        strncmp(json_object_get_string(v), "converted", 9) == 0)
        done = 1;
    else if (j && json_object_object_get_ex(j, "source", &v) &&
             strcmp(json_object_get_string(v), f->rel) == 0)
        /* Our sidecar names this source: the output there is ours to replace. */
        ((mig_file *)(uintptr_t)f)->overwrite_own = 1;
    json_object_put(j);
    free(side);
    return done;
}

static int mig_write_text(const char *path, const char *text, int overwrite, int sync)
{
    skc_output *o;
    char err[1024];
    int rc = skc_output_begin(path, overwrite, &o, err, sizeof(err));

    if (rc)
        return rc;
    skc_output_set_sync(o, sync);
    rc = skc_stream_write(skc_output_stream(o), text, strlen(text));
    if (rc) {
        skc_output_abort(o);
        return rc;
    }
    return skc_output_commit(o, err, sizeof(err));
}

static void mig_set_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static int mig_write_sidecar(const mig_run *run, const mig_file *f)
{
    json_object *o = json_object_new_object();
    char *side = mig_sidecar_path(run, f->out_rel);
    int rc;

    mig_set_str(o, "source", f->rel);
    mig_set_str(o, "source_sha256", f->sha256);
    mig_set_str(o, "output", f->out_rel);
    json_object_object_add(o, "output_size", json_object_new_int64(f->out_size));
    mig_set_str(o, "output_sha256", f->out_sha256[0] ? f->out_sha256 : NULL);
    if (f->data_name) {
        /* ONNX external data: the file beside the output it names. */
        mig_set_str(o, "output_data", f->data_name);
        json_object_object_add(o, "output_data_size", json_object_new_int64(f->data_size));
        mig_set_str(o, "output_data_sha256", f->data_sha256[0] ? f->data_sha256 : NULL);
    }
    mig_set_str(o, "status", mig_status_names[f->status]);
    mig_set_str(o, "class", f->klass);
    mig_set_str(o, "sklearn_version", f->sklearn_version);
    mig_set_str(o, "verdict", f->verdict);
    mig_set_str(o, "verification", f->verification);
    mig_set_str(o, "skconv_version", skc_version_string());
    rc = side ? mig_write_text(side, json_object_to_json_string_ext(o,
                     JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), 1, 0)
              : SKC_E_NOMEM;
    json_object_put(o);
    free(side);
    return rc;
}

/* A process that exists and is not a zombie (a killed run's children may
 * linger as zombies until something reaps them). */
static int mig_pid_alive(pid_t pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    size_t n;

    if (kill(pid, 0) != 0 && errno == ESRCH)
        return 0;
    mig_fmt(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return 1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* Remove temporary files a killed run left beside @p path ("path.tmp-PID-N"
 * whose process is gone), so a resumed run leaves a clean tree. */
static void mig_clean_stale(const char *path)
{
    char dir[PATH_MAX], full[PATH_MAX];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    DIR *d;
    struct dirent *e;

    mig_fmt(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    d = opendir(dir);
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        long pid;
        if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".tmp-", 5) != 0)
            continue;
        pid = strtol(e->d_name + blen + 5, NULL, 10);
        if (pid > 0 && !mig_pid_alive((pid_t)pid)) {
            mig_fmt(full, sizeof(full), "%s/%s", dir, e->d_name);
            unlink(full);
        }
    }
    closedir(d);
}

/* ---- one file, in a child process -------------------------------------------- */

static int mig_status_of(const cv_result *r)
{
    switch (r->outcome) {
    case CV_CONVERTED:     return r->warnings ? MS_CONVERTED_WARN : MS_CONVERTED;
    case CV_NOT_MODEL:     return MS_NOT_MODEL;
    case CV_UNSUPPORTED:   return MS_UNSUPPORTED;
    case CV_UNTRUSTED:     return MS_UNTRUSTED;
    case CV_MALICIOUS:     return MS_MALICIOUS;
    case CV_CORRUPT:       return MS_CORRUPT;
    case CV_VERIFY_FAILED: return MS_VERIFY_FAILED;
    case CV_WRITE_FAILED:  return MS_WRITE_FAILED;
    default:               return r->status == SKC_E_EXISTS ? MS_EXISTS : MS_CORRUPT;
    }
}

/* The unsupported class, from "unsupported estimator module.Class". */
static void mig_class_from_message(const char *msg, char *out, size_t n)
{
    const char *p = strstr(msg, "unsupported estimator ");
    size_t k;

    if (!p)
        return;
    p += strlen("unsupported estimator ");
    k = strcspn(p, " :;,()");
    mig_fmt(out, n, "%.*s", (int)k, p);
}

/* The child's file while it converts, for the before-commit hook. */
static mig_file *mig_pending_file;
static const mig_run *mig_pending_run;

/* Sidecar first, then the output is renamed into place: a run killed in
 * between leaves a sidecar without output, which a re-run redoes. */
static int mig_before_commit(void *user, const struct cv_result *r)
{
    mig_file *f = mig_pending_file;

    (void)user;
    f->status = r->warnings ? MS_CONVERTED_WARN : MS_CONVERTED;
    f->klass = (char *)(r->source_class[0] ? r->source_class : NULL);
    f->sklearn_version = (char *)(r->sklearn_version[0] ? r->sklearn_version : NULL);
    f->verdict = (char *)"safe";
    f->verification = (char *)(r->verification[0] ? r->verification : NULL);
    {
        struct stat st;
        if (stat(r->temp_path, &st) == 0)
            f->out_size = (int64_t)st.st_size;
        if (mig_sha256_file(r->temp_path, f->out_sha256) != 0)
            f->out_sha256[0] = '\0';
        if (r->side_temp_path[0]) {
            f->data_name = (char *)r->side_name;
            if (stat(r->side_temp_path, &st) == 0)
                f->data_size = (int64_t)st.st_size;
            if (mig_sha256_file(r->side_temp_path, f->data_sha256) != 0)
                f->data_sha256[0] = '\0';
        }
    }
    return mig_write_sidecar(mig_pending_run, f);
}

/* Convert one file and write its result as one JSON line to @p fd. */
static int mig_convert_one(mig_run *run, mig_file *f, int fd)
{
    cv_job j;
    cv_result r;
    char in[PATH_MAX], out[PATH_MAX], dir[PATH_MAX], *slash;
    json_object *o = json_object_new_object();
    const char *text;
    mig_file tmp = *f;
    double t = mig_now();

    mig_fmt(in, sizeof(in), "%s/%s", run->src_root, f->rel);
    mig_fmt(out, sizeof(out), "%s/%s", run->dst_root, f->out_rel);
    memset(&j, 0, sizeof(j));
    j.input = in;
    j.output = out;
    j.writer = run->writer;
    j.wopts = run->a->wopts;
    j.n_wopts = run->a->n_wopts;
    j.force = run->a->force;
    j.verify = !run->a->no_verify;
    j.dry_run = run->a->dry_run;
    mig_fmt(dir, sizeof(dir), "%s", out);
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (!run->a->dry_run) {
        char side[PATH_MAX];
        mig_fmt(side, sizeof(side), "%s.json", out);
        mig_clean_stale(out);
        mig_clean_stale(side);
    }
    if (!run->a->dry_run && mig_mkdirs(dir) != 0) {
        memset(&r, 0, sizeof(r));
        r.outcome = CV_WRITE_FAILED;
        mig_fmt(r.message, sizeof(r.message), "%s: cannot create directory: %s", dir,
                 strerror(errno));
    } else {
        mig_pending_file = &tmp;
        mig_pending_run = run;
        j.before_commit = mig_before_commit;
        j.force = j.force || f->overwrite_own;
        /* One syncfs() at the end of the run instead of an fsync per file;
         * the sidecar records the output's size and hash, so a re-run after
         * a power loss redoes any output that did not reach the disk. */
        j.no_sync = 1;
        cv_convert(run->ctx, &j, &r);
    }
    if (!r.source_class[0])
        mig_class_from_message(r.message, r.source_class, sizeof(r.source_class));
    tmp.status = mig_status_of(&r);
    if (run->a->dry_run && r.outcome == CV_CONVERTED)
        tmp.status = MS_WOULD_CONVERT;
    tmp.klass = r.source_class[0] ? r.source_class : NULL;
    tmp.sklearn_version = r.sklearn_version[0] ? r.sklearn_version : NULL;
    tmp.verdict = (char *)(r.outcome == CV_MALICIOUS ? "malicious"
                         : r.outcome == CV_UNTRUSTED ? "untrusted"
                         : r.outcome == CV_NOT_MODEL || r.outcome == CV_CORRUPT ? "unreadable"
                         : "safe");
    tmp.verification = r.verification[0] ? r.verification : NULL;
    json_object_object_add(o, "status", json_object_new_int(tmp.status));
    mig_set_str(o, "reason", tmp.status <= MS_CONVERTED_WARN || tmp.status == MS_WOULD_CONVERT
                             ? (r.warnings ? r.verification : NULL) : r.message);
    mig_set_str(o, "class", tmp.klass);
    mig_set_str(o, "sklearn_version", tmp.sklearn_version);
    mig_set_str(o, "verdict", tmp.verdict);
    mig_set_str(o, "verification", tmp.verification);
    json_object_object_add(o, "seconds", json_object_new_double(mig_now() - t));
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    {
        /* json-c escapes control characters, so the line has no newline. */
        size_t len = strlen(text), off = 0;
        int rc = 0;
        while (off < len && rc == 0) {
            ssize_t w = write(fd, text + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = -1;
            else
                off += (size_t)w;
        }
        if (rc == 0 && write(fd, "\n", 1) != 1)
            rc = -1;
        json_object_put(o);
        return rc;
    }
}

/* A worker process: reads file indices, one per line, converts each and
 * answers with one JSON line; exits at end of input. */
static void mig_worker(mig_run *run, int cmd_fd, int res_fd)
{
    char line[64];
    size_t len = 0;

    for (;;) {
        ssize_t n = read(cmd_fd, line + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(0);
        if (line[len] != '\n') {
            if (++len >= sizeof(line) - 1)
                _exit(2);
            continue;
        }
        line[len] = '\0';
        len = 0;
        {
            size_t idx = (size_t)strtoull(line, NULL, 10);
            if (idx >= run->n_files || mig_convert_one(run, &run->files[idx], res_fd) != 0)
                _exit(3);
        }
    }
}

static void mig_take_result(mig_run *run, mig_file *f, const char *text, int wstatus)
{
    json_object *o = text && *text ? json_tokener_parse(text) : NULL, *v;
    char out[PATH_MAX];
    struct stat st;

    if (!o) {
        f->status = MS_CRASHED;
        free(f->reason);
        if (WIFSIGNALED(wstatus))
            f->reason = mig_dup(strsignal(WTERMSIG(wstatus)));
        else
            f->reason = mig_dup("the converter stopped without a result");
        return;
    }
    if (json_object_object_get_ex(o, "status", &v))
        f->status = json_object_get_int(v);
#define MIG_TAKE(key, field)                                                     \
    if (json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null)) { \
        free(f->field);                                                          \
        f->field = mig_dup(json_object_get_string(v));                           \
    }
    MIG_TAKE("reason", reason)
    /* Reasons name files relative to SRC, as the report does. */
    if (f->reason) {
        char prefix[PATH_MAX + 2], *p;
        size_t pl;
        mig_fmt(prefix, sizeof(prefix), "%s/", run->src_root);
        pl = strlen(prefix);
        while ((p = strstr(f->reason, prefix)) != NULL)
            memmove(p, p + pl, strlen(p + pl) + 1);
    }
    MIG_TAKE("class", klass)
    MIG_TAKE("sklearn_version", sklearn_version)
    MIG_TAKE("verdict", verdict)
    MIG_TAKE("verification", verification)
#undef MIG_TAKE
    if (json_object_object_get_ex(o, "seconds", &v))
        f->seconds = json_object_get_double(v);
    json_object_put(o);
    mig_fmt(out, sizeof(out), "%s/%s", run->dst_root, f->out_rel);
    if ((f->status == MS_CONVERTED || f->status == MS_CONVERTED_WARN) && stat(out, &st) == 0)
        f->out_size = (int64_t)st.st_size;
}

/* ---- progress ------------------------------------------------------------------- */

static void mig_progress(mig_run *run, size_t total, const char *current)
{
    double el = mig_now() - run->t0, rate = el > 0 ? (double)run->done / el : 0;
    double eta = rate > 0 ? (double)(total - run->done) / rate : 0;
    int width = 30, fill = total ? (int)((double)width * (double)run->done / (double)total) : 0;
    char bar[64];

    if (run->g->quiet)
        return;
    if (!run->tty) {
        return;
    }
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '-', (size_t)(width - fill));
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu %.1f files/s ETA %d:%02d %-40.40s", bar, run->done, total,
            rate, (int)eta / 60, (int)eta % 60, current ? current : "");
    fflush(stderr);
}

static void mig_log_line(mig_run *run, const mig_file *f)
{
    if (run->g->quiet || run->tty)
        return;
    fprintf(stderr, "%s: %s%s%s\n", f->rel, mig_status_names[f->status],
            f->reason ? ": " : "", f->reason ? f->reason : "");
}

/* ---- the run --------------------------------------------------------------------- */

typedef struct mig_slot {
    pid_t pid;
    int cmd_fd;              /* parent → worker: file indices    */
    int res_fd;              /* worker → parent: JSON lines      */
    size_t idx;              /* the file being converted         */
    int busy;
    char buf[16384];
    size_t len;
} mig_slot;

/* Start a worker in @p s. The child closes the other workers' pipe ends
 * it inherited, or a worker would never see the end of its input. */
static int mig_spawn(mig_run *run, mig_slot *slots, int n, mig_slot *s)
{
    int cmd[2], res[2];
    pid_t pid;

    if (pipe(cmd) != 0)
        return SKC_E_IO;
    if (pipe(res) != 0) {
        close(cmd[0]);
        close(cmd[1]);
        return SKC_E_IO;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(cmd[0]);
        close(cmd[1]);
        close(res[0]);
        close(res[1]);
        return SKC_E_IO;
    }
    if (pid == 0) {
        int k;
        for (k = 0; k < n; k++) {
            if (&slots[k] != s && slots[k].pid > 0) {
                close(slots[k].cmd_fd);
                close(slots[k].res_fd);
            }
        }
        close(cmd[1]);
        close(res[0]);
        mig_worker(run, cmd[0], res[1]);
    }
    close(cmd[0]);
    close(res[1]);
    s->pid = pid;
    s->cmd_fd = cmd[1];
    s->res_fd = res[0];
    s->busy = 0;
    s->len = 0;
    return SKC_OK;
}

static void mig_retire(mig_slot *s)
{
    if (s->pid <= 0)
        return;
    close(s->cmd_fd);
    close(s->res_fd);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static void mig_finish_file(mig_run *run, size_t total, size_t idx, const char *text, int wst)
{
    mig_take_result(run, &run->files[idx], text, wst);
    run->files[idx].pending = 0;
    run->done++;
    mig_log_line(run, &run->files[idx]);
    mig_progress(run, total, run->files[idx].rel);
}

/* Persistent worker processes, one file at a time each: a conversion that
 * crashes takes only its own worker down, its file is reported as
 * crashed and a new worker takes its place. */
static int mig_convert_all(mig_run *run)
{
    mig_slot slots[MIG_MAX_JOBS];
    size_t next = 0, total = 0, i;
    int k, nw = run->a->jobs, rc = SKC_OK;

    for (i = 0; i < run->n_files; i++)
        total += run->files[i].pending;
    if (total == 0)
        return SKC_OK;
    if ((size_t)nw > total)
        nw = (int)total;
    memset(slots, 0, sizeof(slots));
    signal(SIGPIPE, SIG_IGN);
    for (k = 0; k < nw; k++)
        if ((rc = mig_spawn(run, slots, nw, &slots[k])))
            goto done;
    for (;;) {
        struct pollfd pf[MIG_MAX_JOBS];
        int busy = 0;
        /* Hand out work to idle workers. */
        for (k = 0; k < nw; k++) {
            char cmd[32];
            int n;
            if (slots[k].busy)
                continue;
            while (next < run->n_files && !run->files[next].pending)
                next++;
            if (next >= run->n_files)
                break;
            n = mig_fmt(cmd, sizeof(cmd), "%zu\n", next);
            if (write(slots[k].cmd_fd, cmd, (size_t)n) != n) {
                rc = SKC_E_IO;
                goto done;
            }
            slots[k].busy = 1;
            slots[k].idx = next;
            slots[k].len = 0;
            mig_progress(run, total, run->files[next].rel);
            next++;
        }
        for (k = 0; k < nw; k++) {
            pf[k].fd = slots[k].busy ? slots[k].res_fd : -1;
            pf[k].events = POLLIN;
            pf[k].revents = 0;
            busy += slots[k].busy;
        }
        if (busy == 0)
            break;
        if (poll(pf, (nfds_t)nw, 1000) < 0 && errno != EINTR) {
            rc = SKC_E_IO;
            goto done;
        }
        for (k = 0; k < nw; k++) {
            mig_slot *s = &slots[k];
            char *nl;
            ssize_t n;
            if (!s->busy || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(s->res_fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
            if (n > 0) {
                s->len += (size_t)n;
                s->buf[s->len] = '\0';
                nl = strchr(s->buf, '\n');
                if (nl) {
                    *nl = '\0';
                    s->busy = 0;
                    mig_finish_file(run, total, s->idx, s->buf, 0);
                    s->len = 0;
                } else if (s->len >= sizeof(s->buf) - 1) {
                    s->len = 0;   /* an over-long line: keep reading, report cut */
                }
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            /* The worker died mid-file: report it and start another. */
            {
                int wst = 0;
                close(s->cmd_fd);
                close(s->res_fd);
                waitpid(s->pid, &wst, 0);
                s->pid = 0;
                s->busy = 0;
                mig_finish_file(run, total, s->idx, NULL, wst);
                if ((rc = mig_spawn(run, slots, nw, s)))
                    goto done;
            }
        }
    }
done:
    for (k = 0; k < nw; k++)
        mig_retire(&slots[k]);
    if (run->tty && !run->g->quiet)
        fputc('\n', stderr);
    return rc;
}

/* ---- reports ------------------------------------------------------------------------ */

static json_object *mig_file_json(const mig_file *f)
{
    json_object *o = json_object_new_object();

    mig_set_str(o, "path", f->rel);
    mig_set_str(o, "status", mig_status_names[f->status]);
    mig_set_str(o, "reason", f->reason);
    mig_set_str(o, "class", f->klass);
    mig_set_str(o, "sklearn_version", f->sklearn_version);
    mig_set_str(o, "verdict", f->verdict);
    mig_set_str(o, "source_sha256", f->sha256[0] ? f->sha256 : NULL);
    json_object_object_add(o, "size", json_object_new_int64(f->size));
    mig_set_str(o, "output", f->out_rel && (f->status == MS_CONVERTED ||
                f->status == MS_CONVERTED_WARN || f->status == MS_SKIPPED) ? f->out_rel : NULL);
    json_object_object_add(o, "output_size", json_object_new_int64(f->out_size));
    json_object_object_add(o, "seconds",
                           json_object_new_double((double)(int64_t)(f->seconds * 1e4) / 1e4));
    mig_set_str(o, "verification", f->verification);
    return o;
}

/* Totals by status and by class, recomputed from the file list. */
static void mig_totals(json_object *files, json_object *report)
{
    json_object *by_status = json_object_new_object(), *by_class = json_object_new_object();
    size_t i, n = json_object_array_length(files);

    for (i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(files, i), *st, *cl, *cur;
        const char *sname, *cname;
        if (!json_object_object_get_ex(f, "status", &st))
            continue;
        sname = json_object_get_string(st);
        cur = json_object_object_get(by_status, sname);
        json_object_object_add(by_status, sname,
                               json_object_new_int(cur ? json_object_get_int(cur) + 1 : 1));
        if (json_object_object_get_ex(f, "class", &cl) && cl) {
            json_object *per;
            cname = json_object_get_string(cl);
            per = json_object_object_get(by_class, cname);
            if (!per) {
                per = json_object_new_object();
                json_object_object_add(by_class, cname, per);
            }
            cur = json_object_object_get(per, sname);
            json_object_object_add(per, sname,
                                   json_object_new_int(cur ? json_object_get_int(cur) + 1 : 1));
        }
    }
    json_object_object_add(report, "totals_by_status", by_status);
    json_object_object_add(report, "totals_by_class", by_class);
}

static void mig_csv_cell(FILE *f, const char *s)
{
    if (!s)
        return;
    if (strpbrk(s, ",\"\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s == '\n' ? ' ' : *s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
}

static char *mig_csv(json_object *files)
{
    char *buf = NULL;
    size_t len = 0, i, n = json_object_array_length(files);
    FILE *f = open_memstream(&buf, &len);
    static const char *const cols[] = { "path", "status", "class", "sklearn_version",
                                        "verdict", "size", "output", "output_size",
                                        "seconds", "reason" };
    size_t c;

    if (!f)
        return NULL;
    for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
        fprintf(f, "%s%s", c ? "," : "", cols[c]);
    fputc('\n', f);
    for (i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(files, i), *v;
        for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
            if (c)
                fputc(',', f);
            if (json_object_object_get_ex(o, cols[c], &v) && v)
                mig_csv_cell(f, json_object_get_string(v));
        }
        fputc('\n', f);
    }
    fclose(f);
    return buf;
}

static void mig_summary(json_object *report)
{
    json_object *st, *cl;
    json_object_iter it;

    if (!json_object_object_get_ex(report, "totals_by_status", &st))
        return;
    fprintf(stderr, "%-26s %s\n", "status", "files");
    json_object_object_foreachC(st, it)
        fprintf(stderr, "%-26s %d\n", it.key, json_object_get_int(it.val));
    if (json_object_object_get_ex(report, "totals_by_class", &cl) &&
        json_object_object_length(cl) > 0) {
        fprintf(stderr, "\n%-60s %s\n", "class", "statuses");
        json_object_object_foreachC(cl, it) {
            json_object_iter jt;
            int first = 1;
            fprintf(stderr, "%-60s ", it.key);
            json_object_object_foreachC(it.val, jt) {
                fprintf(stderr, "%s%s %d", first ? "" : ", ", jt.key, json_object_get_int(jt.val));
                first = 0;
            }
            fputc('\n', stderr);
        }
    }
}

/* Write report.json and the CSV; returns the exit code of the run. */
static int mig_report(mig_run *run, json_object *files, const char *json_path,
                      const char *csv_path)
{
    json_object *report = json_object_new_object();
    char *csv;
    int code = CLI_EXIT_OK, rc = SKC_OK;
    size_t i, n = json_object_array_length(files);

    json_object_object_add(report, "skconv_version",
                           json_object_new_string(skc_version_string()));
    if (run) {
        mig_set_str(report, "source", run->a->src);
        mig_set_str(report, "destination", run->a->dst);
        mig_set_str(report, "format", run->writer ? run->writer->name : NULL);
        if (run->a->shard_n) {
            char sh[32];
            mig_fmt(sh, sizeof(sh), "%d/%d", run->a->shard_k, run->a->shard_n);
            mig_set_str(report, "shard", sh);
        }
        json_object_object_add(report, "dry_run", json_object_new_boolean(run->a->dry_run));
        json_object_object_add(report, "seconds", json_object_new_double(mig_now() - run->t0));
    }
    json_object_object_add(report, "files", json_object_get(files));
    mig_totals(files, report);
    for (i = 0; i < n; i++) {
        json_object *v;
        const char *s;
        if (!json_object_object_get_ex(json_object_array_get_idx(files, i), "status", &v))
            continue;
        s = json_object_get_string(v);
        if (strcmp(s, "converted") && strcmp(s, "converted-with-warnings") &&
            strcmp(s, "skipped") && strcmp(s, "not-a-model") && strcmp(s, "would-convert"))
            code = CLI_EXIT_FAILED;
    }
    if (json_path) {
        rc = mig_write_text(json_path, json_object_to_json_string_ext(report,
                            JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), 1, 1);
        if (rc)
            cli_error("%s: cannot write the report: %s", json_path, skc_strerror(rc));
    }
    if (csv_path && rc == SKC_OK && (csv = mig_csv(files)) != NULL) {
        rc = mig_write_text(csv_path, csv, 1, 1);
        if (rc)
            cli_error("%s: cannot write the CSV report: %s", csv_path, skc_strerror(rc));
        free(csv);
    }
    if (!run || !run->g->quiet)
        mig_summary(report);
    json_object_put(report);
    return rc ? CLI_EXIT_USAGE : code;
}

static int mig_merge(cli_globals *g, mig_args *a)
{
    json_object *all = json_object_new_array();
    char csv[PATH_MAX];
    int i, code;

    (void)g;
    for (i = 0; i < a->n_merge; i++) {
        json_object *r = json_object_from_file(a->merge_files[i]), *fs;
        size_t k;
        if (!r || !json_object_object_get_ex(r, "files", &fs) ||
            !json_object_is_type(fs, json_type_array)) {
            cli_error("%s: not a migrate report", a->merge_files[i]);
            json_object_put(r);
            json_object_put(all);
            return CLI_EXIT_USAGE;
        }
        for (k = 0; k < json_object_array_length(fs); k++)
            json_object_array_add(all, json_object_get(json_object_array_get_idx(fs, k)));
        json_object_put(r);
    }
    mig_fmt(csv, sizeof(csv), "%s", a->dst);
    if (mig_ends_with(csv, ".json"))
        csv[strlen(csv) - 5] = '\0';
    strncat(csv, ".csv", sizeof(csv) - strlen(csv) - 1);
    code = mig_report(NULL, all, a->dst, a->csv ? a->csv : csv);
    json_object_put(all);
    return code;
}

static void mig_free(mig_run *run)
{
    size_t i;

    for (i = 0; i < run->n_files; i++) {
        mig_file *f = &run->files[i];
        free(f->rel);
        free(f->out_rel);
        free(f->reason);
        free(f->klass);
        free(f->sklearn_version);
        free(f->verdict);
        free(f->verification);
    }
    free(run->files);
}

/* Refuse a destination inside the source: outputs would be walked as inputs. */
static int mig_check_dst(mig_run *run)
{
    char parent[PATH_MAX], real[PATH_MAX], probe[PATH_MAX];
    const char *dst = run->a->dst;
    char *slash;

    mig_fmt(probe, sizeof(probe), "%s", dst);
    /* The deepest existing ancestor decides where DST really is. */
    for (;;) {
        if (realpath(probe, real))
            break;
        slash = strrchr(probe, '/');
        if (!slash) {
            if (!getcwd(real, sizeof(real)))
                return SKC_E_IO;
            break;
        }
        *slash = '\0';
        if (!*probe) {
            strcpy(real, "/");
            break;
        }
    }
    mig_fmt(parent, sizeof(parent), "%s", real);
    if (mig_inside(run->src_root, parent) ||
        (run->tmp_extract[0] == '\0' && strcmp(run->src_root, parent) == 0)) {
        cli_error("%s: the destination is inside the source %s; choose another place", dst,
                  run->src_root);
        return SKC_E_INVAL;
    }
    return SKC_OK;
}

/* 1 if some reader recognises the file's content as a model. */
static int mig_probe(mig_run *run, const char *rel)
{
    char path[PATH_MAX];
    skc_stream *in;
    const skc_format *f;
    int rc;

    mig_fmt(path, sizeof(path), "%s/%s", run->src_root, rel);
    if (skc_stream_open_read(path, &in, NULL, 0) != SKC_OK)
        return 1;            /* unreadable: the conversion will say why */
    rc = skc_context_probe(run->ctx, in, &f, NULL);
    skc_stream_free(in);
    return rc != SKC_E_UNKNOWN_FORMAT;
}

static const mig_run *mig_sort_run;

static int mig_cmp_out(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(mig_sort_run->files[i].out_rel, mig_sort_run->files[j].out_rel);

    return c ? c : (i < j ? -1 : i > j);
}

/* Mark every model file whose output name an earlier model file claims. */
static void mig_collisions(mig_run *run)
{
    size_t *idx = malloc((run->n_files ? run->n_files : 1) * sizeof(*idx)), n = 0, k;
    const mig_file *owner = NULL;

    if (!idx)
        return;
    for (k = 0; k < run->n_files; k++)
        if (run->files[k].pending)
            idx[n++] = k;
    mig_sort_run = run;
    qsort(idx, n, sizeof(*idx), mig_cmp_out);
    for (k = 0; k < n; k++) {
        mig_file *f = &run->files[idx[k]];
        if (owner && strcmp(owner->out_rel, f->out_rel) == 0) {
            char msg[2 * PATH_MAX];
            mig_fmt(msg, sizeof(msg), "output %s is already claimed by %s", f->out_rel,
                    owner->rel);
            f->pending = 0;
            f->status = MS_COLLISION;
            f->reason = mig_dup(msg);
        } else {
            owner = f;
        }
    }
    free(idx);
}

int cmd_migrate(cli_globals *g, int argc, char **argv)
{
    mig_args a;
    mig_run run;
    struct stat st;
    json_object *files = NULL;
    char report_path[PATH_MAX], csv_path[PATH_MAX];
    size_t i;
    int code, rc;

    memset(&a, 0, sizeof(a));
    code = mig_parse(g, &a, argc, argv);
    if (code)
        return code < 0 ? CLI_EXIT_OK : code;
    if (a.merge)
        return mig_merge(g, &a);
    memset(&run, 0, sizeof(run));
    run.a = &a;
    run.g = g;
    run.t0 = mig_now();
    run.tty = isatty(2);
    if (!(run.ctx = cli_context(g)))
        return CLI_EXIT_USAGE;
    run.writer = skc_context_find_format(run.ctx, a.to);
    if (!run.writer || !(run.writer->caps & SKC_CAP_WRITE)) {
        cli_usage_error("migrate ", "no writable format '%s' (see 'skconv formats')", a.to);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (stat(a.src, &st) != 0) {
        cli_error("%s: %s", a.src, strerror(errno));
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (S_ISREG(st.st_mode)) {
        if (mig_extract(&run, a.src)) {
            code = CLI_EXIT_USAGE;
            goto done;
        }
        mig_fmt(run.src_root, sizeof(run.src_root), "%s", run.tmp_extract);
    } else if (!realpath(a.src, run.src_root)) {
        cli_error("%s: %s", a.src, strerror(errno));
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (run.tmp_extract[0] == '\0' && mig_check_dst(&run)) {
        code = CLI_EXIT_USAGE;
        goto done;
    }
    run.dst_archive = mig_dst_archive_kind(a.dst);
    if (run.dst_archive) {
        const char *tmp = getenv("TMPDIR");
        mig_fmt(run.tmp_stage, sizeof(run.tmp_stage), "%s/skconv-stage-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(run.tmp_stage)) {
            cli_error("cannot create a staging directory: %s", strerror(errno));
            run.tmp_stage[0] = '\0';
            code = CLI_EXIT_USAGE;
            goto done;
        }
        mig_fmt(run.dst_root, sizeof(run.dst_root), "%s", run.tmp_stage);
    } else {
        if (!a.dry_run && mig_mkdirs(a.dst) != 0) {
            cli_error("%s: cannot create: %s", a.dst, strerror(errno));
            code = CLI_EXIT_USAGE;
            goto done;
        }
        mig_fmt(run.dst_root, sizeof(run.dst_root), "%s", a.dst);
    }
    if ((rc = mig_walk(&run, "", 0))) {
        cli_error("out of memory walking %s", a.src);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    /* Name outputs and find the model files of the whole tree first, so
     * every shard decides collisions the same way: of the model files that
     * would write one output, the first in path order claims it. */
    for (i = 0; i < run.n_files; i++) {
        mig_file *f = &run.files[i];
        f->out_rel = mig_out_rel(f->rel, run.writer);
        if (!f->out_rel) {
            cli_error("out of memory");
            code = CLI_EXIT_USAGE;
            goto done;
        }
        if (f->pending && !mig_probe(&run, f->rel)) {
            f->pending = 0;
            f->status = MS_NOT_MODEL;
            f->reason = mig_dup("not a model file any loaded reader recognises");
        }
    }
    mig_collisions(&run);
    for (i = 0; i < run.n_files; i++) {
        mig_file *f = &run.files[i];
        char path[PATH_MAX];
        if (a.shard_n && mig_fnv(f->rel) % (uint64_t)a.shard_n != (uint64_t)a.shard_k) {
            f->pending = 0;
            f->status = -2;      /* another shard's file: left out of the report */
            continue;
        }
        if (!f->pending)
            continue;
        mig_fmt(path, sizeof(path), "%s/%s", run.src_root, f->rel);
        if (mig_sha256_file(path, f->sha256) != 0) {
            f->pending = 0;
            f->status = MS_UNREADABLE;
            f->reason = mig_dup(strerror(errno));
            continue;
        }
        if (!a.force && !run.dst_archive && mig_already_done(&run, f)) {
            char out[PATH_MAX], side[PATH_MAX];
            f->pending = 0;
            f->status = MS_SKIPPED;
            f->reason = mig_dup("already converted from this source (same SHA-256)");
            mig_fmt(out, sizeof(out), "%s/%s", run.dst_root, f->out_rel);
            mig_fmt(side, sizeof(side), "%s.json", out);
            mig_clean_stale(out);
            mig_clean_stale(side);
            if (stat(out, &st) == 0)
                f->out_size = (int64_t)st.st_size;
        }
    }
    if (mig_convert_all(&run) != SKC_OK) {
        cli_error("cannot start converter processes: %s", strerror(errno));
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a.dry_run) {
        /* Outputs were renamed into place without one fsync each: flush
         * the destination's file system once. */
        int dfd = open(run.dst_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            syncfs(dfd);
            close(dfd);
        }
    }
    files = json_object_new_array();
    for (i = 0; i < run.n_files; i++)
        if (run.files[i].status >= 0)
            json_object_array_add(files, mig_file_json(&run.files[i]));
    if (a.dry_run) {
        /* Nothing is written: the report goes to stdout. */
        for (i = 0; i < run.n_files; i++)
            if (run.files[i].status >= 0)
                printf("%s: %s%s%s\n", run.files[i].rel, mig_status_names[run.files[i].status],
                       run.files[i].reason ? ": " : "",
                       run.files[i].reason ? run.files[i].reason : "");
        code = mig_report(&run, files, NULL, NULL);
        goto done;
    }
    if (run.dst_archive) {
        mig_fmt(report_path, sizeof(report_path), "%s/report.json", run.dst_root);
        mig_fmt(csv_path, sizeof(csv_path), "%s/report.csv", run.dst_root);
        code = mig_report(&run, files, report_path, csv_path);
        if (mig_pack(&run) != SKC_OK)
            code = CLI_EXIT_USAGE;
        if (a.report)
            mig_report(&run, files, a.report, a.csv);
    } else {
        mig_fmt(report_path, sizeof(report_path), "%s/report.json", a.dst);
        mig_fmt(csv_path, sizeof(csv_path), "%s/report.csv", a.dst);
        code = mig_report(&run, files, a.report ? a.report : report_path,
                          a.csv ? a.csv : csv_path);
        if (a.report) {
            g->quiet = 1;
            mig_report(&run, files, report_path, csv_path);
        }
    }
done:
    json_object_put(files);
    mig_rmtree(run.tmp_extract);
    mig_rmtree(run.tmp_stage);
    mig_free(&run);
    skc_context_free(run.ctx);
    return code;
}
