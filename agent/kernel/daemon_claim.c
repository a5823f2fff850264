/* daemon_claim.c - see daemon_claim.h. flock: the kernel drops the claim when the daemon dies,
 * however it dies, so a stale file never blocks --down. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "daemon_claim.h"
#include "log.h"
#include "pins.h"

#define CLAIM_SUFFIX "daemon"

void daemon_claim_release(struct daemon_claim *c)
{
	if (c->fd >= 0)
		close(c->fd);	/* the flock goes with the last fd */
	c->fd = -1;
	c->pin_path[0] = '\0';
}

void daemon_claim_follow(struct daemon_claim *c, const char *pin_path)
{
	char why[512], pid[32];
	int fd, n;

	if (c->fd >= 0 && !strcmp(c->pin_path, pin_path))
		return;
	daemon_claim_release(c);
	if (pins_lock_file(pin_path, CLAIM_SUFFIX, &fd, why, sizeof(why))) {
		log_msg(LOG_WARNING, "%s: no daemon claim on it (%s): --down cannot tell this daemon runs", pin_path, why);
		return;
	}
	if (fd < 0)
		return;	/* not root: no lock directory of ours */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pid_t other = daemon_claim_holder(pin_path);

		if (!c->warned)
			log_msg(LOG_WARNING, "%s: another vosfp-agent (pid %ld) runs on these pins: two daemons undo each other's changes; stop one",
				pin_path, (long)other);
		c->warned = 1;
		close(fd);
		return;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_msg(LOG_WARNING, "%s: cannot write this daemon's pid in its claim: %s", pin_path, strerror(errno));
	c->fd = fd;
	c->warned = 0;
	snprintf(c->pin_path, sizeof(c->pin_path), "%s", pin_path);
}

pid_t daemon_claim_holder(const char *pin_path)
{
	char why[512], buf[32] = "";
	pid_t pid = 0;
	ssize_t n;
	int fd;

	if (pins_lock_file(pin_path, CLAIM_SUFFIX, &fd, why, sizeof(why)) || fd < 0)
		return DAEMON_CLAIM_CANNOT_TELL;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);	/* nobody holds it */
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0)
		pid = (pid_t)strtol(buf, NULL, 10);
	close(fd);
	return pid > 0 ? pid : DAEMON_CLAIM_HELD_PID_UNKNOWN;
}
