/* SPDX-License-Identifier: MIT */
/* io.h: byte streams (file, memory, memory-mapped) that readers and writers use. */
#ifndef SKCONV_IO_H
#define SKCONV_IO_H

#include <skconv/skconv.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Open @p path for reading. The file is memory-mapped when it is a regular
 * file (so skc_stream_map() is zero-copy), otherwise read as it comes.
 * @return 0, SKC_E_NOT_FOUND, SKC_E_IO, SKC_E_NOMEM.
 * Caller frees with skc_stream_free(). On failure @p err (if not NULL,
 * @p errlen bytes) receives the reason.
 */
SKC_API int skc_stream_open_read(const char *path, skc_stream **out,
                                 char *err, size_t errlen);

/** A read stream over @p size bytes at @p data, borrowed for the stream's life. */
SKC_API int skc_stream_open_memory(const void *data, size_t size, skc_stream **out);

/** A read stream that owns @p data and frees it with free() when freed. */
SKC_API int skc_stream_open_memory_take(void *data, size_t size, skc_stream **out);

/**
 * Create @p path for writing (O_EXCL: never overwrites); see
 * skc_output_begin() in plugin.h for the atomic temp-file-and-rename path.
 */
SKC_API int skc_stream_open_write(const char *path, skc_stream **out,
                                  char *err, size_t errlen);

/** A growable in-memory write stream; skc_stream_map() returns its bytes. */
SKC_API int skc_stream_open_buffer(skc_stream **out);

/** Read up to @p n bytes; *got is 0 at end of stream. */
SKC_API int skc_stream_read(skc_stream *s, void *buf, size_t n, size_t *got);
/** Write all of @p n bytes or fail with SKC_E_IO. */
SKC_API int skc_stream_write(skc_stream *s, const void *buf, size_t n);
/**
 * Room for the next @p n bytes of write stream @p s, to be filled in place:
 * *@p room points at @p n writable bytes that become the stream's next
 * @p n bytes; skc_stream_commit_room() ends the room, and nothing else may
 * be written to @p s before it. For a file on a file system that can
 * allocate ahead (ext4, xfs, btrfs, tmpfs, ...), the room is the file's
 * own pages, allocated on disk first, so a full disk fails here, never
 * while filling, and filling the room writes the file without a copy;
 * otherwise (a buffer stream, another file system) it is memory that the
 * commit writes out. The bytes of the room start as zeros. Several threads
 * may fill disjoint parts of a room.
 * Added within ABI 1 (skconv 0.3).
 * @return 0; SKC_E_INVAL (not a write stream, or a room is already open),
 * SKC_E_IO (the disk is full), SKC_E_NOMEM, SKC_E_LIMIT.
 */
SKC_API int skc_stream_reserve(skc_stream *s, size_t n, void **room);

/**
 * End the room skc_stream_reserve() opened: its bytes are now the
 * stream's and the stream continues after them. Freeing the stream
 * without a commit leaves the room's bytes as they were filled (a
 * temporary output that failed is removed anyway).
 * @return 0, SKC_E_INVAL (no room is open), SKC_E_IO.
 */
SKC_API int skc_stream_commit_room(skc_stream *s);

/** Flush a write stream to the operating system (and fsync it for files). */
SKC_API int skc_stream_sync(skc_stream *s);

/**
 * The whole content of a read stream (or what a buffer stream holds) as
 * one contiguous block, valid until the stream is freed. Mapped files and
 * memory streams are returned in place; other streams are read in once.
 */
SKC_API int skc_stream_map(skc_stream *s, const uint8_t **data, size_t *size);

/**
 * A hint that bytes [@p p, @p p + @p n) of what skc_stream_map() gave will
 * not be read again soon: a mapped file gives their pages back (reading
 * them later maps them in again from the file), so a reader working
 * through a large file keeps only what it has not read yet in memory.
 * Does nothing for other streams or for bytes outside the mapping.
 */
SKC_API void skc_stream_drop(skc_stream *s, const void *p, size_t n);

/** Path the stream was opened from, or NULL. Borrowed. */
SKC_API const char *skc_stream_path(const skc_stream *s);

SKC_API void skc_stream_free(skc_stream *s);

#ifdef __cplusplus
}
#endif
#endif
