/* secret_file.c - see secret_file.h. The trust checks are file_trust.h's (run on the opened file,
 * so what is read is what was checked), plus the one a secret adds: nobody else may read it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cyaml/cyaml.h>

#include "file_trust.h"
#include "secret_file.h"

#define SECRET_FILE_MAX 4096

/* The whole (small) file, NUL-terminated, read through file_trust.h (owner, mode, every directory
 * above) and, being a secret, readable by nobody else. Its length, or -1 with err. */
static ssize_t read_trusted(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	char why[512];
	struct stat st;
	int fd = trusted_open(path, 0, &st, why, sizeof(why));
	long n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: mode %04o lets group or others at a secret: expected 0600 or 0400 (chmod 600 %s)",
			 path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	n = trusted_read_fd(fd, buf, len - 1);
	if (n == (long)len - 1 && trusted_read_fd(fd, &(char){ 0 }, 1) > 0) {
		snprintf(err, errlen, "%s: larger than %zu bytes: not a key or credentials file", path, len - 1);
		n = -1;
	} else if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror((int)-n));
		n = -1;
	}
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int secret_key_read(const char *path, char key[SECRET_KEY_MAX + 1], char *err, size_t errlen)
{
	char buf[SECRET_FILE_MAX];
	size_t start, end;
	ssize_t n = read_trusted(path, buf, sizeof(buf), err, errlen);

	if (n < 0)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	for (start = 0; buf[start] == ' ' || buf[start] == '\t'; start++)
		;
	for (end = strlen(buf); end > start && (buf[end - 1] == ' ' || buf[end - 1] == '\t'); end--)
		;
	buf[end] = '\0';
	if (end == start || end - start > SECRET_KEY_MAX) {
		snprintf(err, errlen, "%s: expected the API key on its first line (1 to %d characters)", path, SECRET_KEY_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	for (size_t i = start; i < end; i++)
		if (buf[i] <= ' ' || buf[i] >= 0x7F) {
			snprintf(err, errlen, "%s: the key holds a space or a non-ASCII byte: expected it alone on the first line",
				 path);
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
	memcpy(key, buf + start, end - start + 1);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

struct creds_doc {
	char *url;
	char *login;
	char *password;
};

static const cyaml_schema_field_t creds_fields[] = {
	CYAML_FIELD_STRING_PTR("url", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct creds_doc, url, 0, CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("login", CYAML_FLAG_POINTER, struct creds_doc, login, 1, 127),
	CYAML_FIELD_STRING_PTR("password", CYAML_FLAG_POINTER, struct creds_doc, password, 1, SECRET_KEY_MAX),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t creds_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct creds_doc, creds_fields),
};

int secret_credentials_read(const char *path, struct machine_credentials *out, char *err, size_t errlen)
{
	/* No log_fn: libcyaml's messages could quote the password. */
	static const cyaml_config_t cfg = { .log_fn = NULL, .mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR,
					    .flags = CYAML_CFG_IGNORE_UNKNOWN_KEYS };
	char buf[SECRET_FILE_MAX];
	struct creds_doc *doc = NULL;
	ssize_t n = read_trusted(path, buf, sizeof(buf), err, errlen);
	int ret = -1;

	if (n < 0)
		return -1;
	if (cyaml_load_data((const uint8_t *)buf, (size_t)n, &cfg, &creds_schema, (cyaml_data_t **)&doc, NULL) != CYAML_OK) {
		snprintf(err, errlen, "%s: expected YAML with login: and password: (as `cscli machines add NAME -f %s` writes it)",
			 path, path);
	} else {
		snprintf(out->login, sizeof(out->login), "%s", doc->login);
		snprintf(out->password, sizeof(out->password), "%s", doc->password);
		explicit_bzero(doc->password, strlen(doc->password));
		ret = 0;
	}
	if (doc)
		cyaml_free(&cfg, &creds_schema, doc, 0);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}
