/* secret_file.h - the CrowdSec feed's secrets read from files: the bouncer's API key and the
 * machine credentials `cscli machines add NAME -f FILE` writes. Each file is trusted as sshd's
 * StrictModes trusts a key: owned by root or by us, no permission for group or others, and no
 * directory above it that anyone else could rename it in (a sticky world-writable directory such
 * as /tmp is fine: only its owners move entries there). A secret is never logged or printed;
 * messages name the file and what to fix. */
#ifndef VOSFP_SECRET_FILE_H
#define VOSFP_SECRET_FILE_H

#include <stddef.h>

#define SECRET_KEY_MAX 256

/* The bouncer key: the file's first line, trimmed; printable ASCII without spaces (it goes into
 * an HTTP header). 0, or -1 with err. */
int secret_key_read(const char *path, char key[SECRET_KEY_MAX + 1], char *err, size_t errlen);

struct machine_credentials {
	char login[128];
	char password[SECRET_KEY_MAX + 1];
};

/* The YAML file `cscli machines add` writes (url, login, password; its url is not used: vosfp
 * talks to crowdsec.lapi_url). 0, or -1 with err. */
int secret_credentials_read(const char *path, struct machine_credentials *out, char *err, size_t errlen);

#endif
