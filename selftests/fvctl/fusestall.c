// SPDX-License-Identifier: GPL-2.0
/*
 * fusestall DIR CMD [ARG...]: in a mount namespace of its own, mount on DIR
 * a FUSE filesystem whose server never answers (any lookup under DIR then
 * waits), print "mounted", and run CMD there.  When CMD ends, print "done
 * STATUS" and exit with it.  On SIGTERM first, close the FUSE device: the
 * connection is aborted, which ends every wait on it; print "aborted" and
 * CMD's status, and exit 3.  For fvctl.sh: a backstore path that stalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	char opts[128];
	int fd, sig, status;
	sigset_t set;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: fusestall DIR CMD [ARG...]\n");
		return 2;
	}
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		perror("fusestall: mount namespace");
		return 2;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("fusestall: /dev/fuse");
		return 2;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("fusestall", argv[1], "fuse.fusestall", MS_NOSUID | MS_NODEV, opts)) {
		perror("fusestall: mount");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("mounted\n");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fusestall: fork");
		return 2;
	}
	if (!pid) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		execvp(argv[2], argv + 2);
		perror("fusestall: exec");
		_exit(127);
	}
	do
		sig = sigwaitinfo(&set, NULL);
	while (sig < 0 && errno == EINTR);
	if (sig == SIGTERM) {
		close(fd);	/* the last device file: aborts the connection */
		waitpid(pid, &status, 0);
		printf("aborted; %s exited %d\n", argv[2],
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return 3;
	}
	waitpid(pid, &status, 0);
	printf("done %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
