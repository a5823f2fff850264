/* fuzz_file.h - what the fuzz targets share: the parsers under test read files by path, so each
 * input is written to a file of a private temporary directory first (removed at exit). Never
 * writes anywhere else. */
#ifndef VOSFP_FUZZ_FILE_H
#define VOSFP_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* The path of `name` in the directory (created on first use; aborts if it cannot be). */
const char *fuzz_path(const char *name);

/* Write data to `name` in the directory, replacing it; its path. Aborts on a failed write: a
 * harness that silently tests an old input would hide findings. */
const char *fuzz_file_write(const char *name, const uint8_t *data, size_t size);

/* The bytes as a NUL-terminated string (a fresh heap copy, freed by the caller): for parsers of
 * C strings. Bytes after an embedded NUL are what the parser would never see. */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
