/* Calls the syscall buffer runs since issue 12's list was finished: readv, preadv, recvmsg, sendmsg,
 * the tty ioctls, ppoll and epoll_pwait (test/e2e/sb-more.test.ts). Each case prints what it read
 * back at once, only what a native run shows the same, so record, replay and a native run can be
 * compared.
 *   readv DIR   a file of DIR read with readv (three iovecs, one empty) and preadv at an offset, a
 *               ready pipe read with readv; readv of 17 iovecs (more than the buffer takes), of a
 *               bad iovec array (EFAULT) and of a pipe at its end
 *   msg DIR     a nonblocking stream socketpair: sendmsg of two iovecs, recvmsg with MSG_PEEK then
 *               without, recvmsg of nothing (EAGAIN); unix datagram sockets bound in DIR: sendmsg
 *               with MSG_DONTWAIT to the receiver's address, recvmsg of the source address (whole,
 *               and into a 4-byte name buffer), a datagram cut short (MSG_TRUNC)
 *   rights DIR  an fd of a file of DIR sent with SCM_RIGHTS (sendmsg and recvmsg with control data),
 *               the file read through the fd received
 *   tty DIR     a pty (posix_openpt, grantpt, unlockpt, ptsname): TCGETS, TIOCGWINSZ after TIOCSWINSZ,
 *               FIONREAD after a line was typed, TIOCGPGRP of a tty that is not the controlling one;
 *               TCGETS of a file (ENOTTY), FIONREAD of a pipe and of a file
 *   poll        ppoll with no timeout and no mask of a ready pipe, with a zero timeout of an empty one,
 *               with a mask of a ready one; epoll_pwait the same ways
 *   mask        SIGUSR1 blocked and pending while ppoll (waiting, zero timeout, a ready fd) and
 *               epoll_pwait (zero timeout, waiting) run under a mask that lets it through
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include "say.h"

static char *path_in(const char *dir, const char *name) {
  static char buf[4][4096];
  static int next;
  char *p = buf[next++ & 3];
  snprintf(p, 4096, "%s/%s", dir, name);
  return p;
}

static int make_file(const char *dir, const char *name, const char *content) {
  int fd = open(path_in(dir, name), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open");
  if (write(fd, content, strlen(content)) != (ssize_t)strlen(content)) die("write");
  if (lseek(fd, 0, SEEK_SET) != 0) die("lseek");
  return fd;
}

static int readv_case(const char *dir) {
  int fd = make_file(dir, "data.txt", "0123456789abcdefghijklmnopqrstuvwxyz");
  char a[6] = { 0 }, b[1] = { 'x' }, c[64] = { 0 };
  struct iovec iov[3] = { { a, 5 }, { b, 0 }, { c, sizeof c - 1 } };
  ssize_t r = readv(fd, iov, 3);
  say("readv %zd '%s' '%c' '%s'\n", r, a, b[0], c);
  memset(a, 0, sizeof a);
  memset(c, 0, sizeof c);
  struct iovec piov[2] = { { a, 3 }, { c, 4 } };
  r = preadv(fd, piov, 2, 7);
  say("preadv %zd '%s' '%s'\n", r, a, c);
  r = readv(fd, iov, 3); /* at the end of the file */
  say("readv at end %zd\n", r);

  char many[17][2];
  struct iovec m[17];
  for (int i = 0; i < 17; i++) m[i] = (struct iovec){ many[i], 2 };
  r = preadv(fd, m, 17, 0);
  say("preadv 17 %zd %.2s %.2s\n", r, many[0], many[16]);
  errno = 0;
  struct iovec *volatile bad = (struct iovec *)16; /* volatile: the compiler would refuse the call */
  r = readv(fd, bad, 2);
  say("readv bad array %zd %d\n", r, errno == EFAULT);

  int p[2];
  if (pipe(p) != 0) die("pipe");
  if (write(p[1], "pipe-bytes-here", 15) != 15) die("write pipe");
  memset(a, 0, sizeof a);
  memset(c, 0, sizeof c);
  struct iovec q[2] = { { a, 5 }, { c, 20 } };
  r = readv(p[0], q, 2);
  say("readv pipe %zd '%s' '%s'\n", r, a, c);
  close(p[1]);
  r = readv(p[0], q, 2);
  say("readv pipe closed %zd\n", r);
  close(p[0]);
  close(fd);
  return 0;
}

static ssize_t send2(int fd, const char *x, const char *y, int flags, void *name, socklen_t namelen) {
  struct iovec iov[2] = { { (void *)x, strlen(x) }, { (void *)y, strlen(y) } };
  struct msghdr mh = { .msg_name = name, .msg_namelen = namelen, .msg_iov = iov, .msg_iovlen = 2 };
  return sendmsg(fd, &mh, flags);
}

static const char *base(const struct sockaddr_un *a, socklen_t len) {
  if (len <= offsetof(struct sockaddr_un, sun_path)) return "(none)";
  const char *s = strrchr(a->sun_path, '/');
  return s ? s + 1 : a->sun_path;
}

static int msg_case(const char *dir) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) die("socketpair");
  ssize_t s = send2(sv[0], "hello ", "stream", 0, NULL, 0);
  char a[4] = { 0 }, b[32] = { 0 };
  struct iovec iov[2] = { { a, 3 }, { b, sizeof b - 1 } };
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t r = recvmsg(sv[1], &mh, MSG_PEEK);
  say("stream sent %zd peeked %zd '%s' '%s' flags %d\n", s, r, a, b, mh.msg_flags);
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  r = recvmsg(sv[1], &mh, 0);
  say("stream received %zd '%s' '%s' flags %d\n", r, a, b, mh.msg_flags);
  errno = 0;
  r = recvmsg(sv[1], &mh, 0);
  say("stream empty %zd %d\n", r, errno == EAGAIN);
  close(sv[0]);
  close(sv[1]);

  int rx = socket(AF_UNIX, SOCK_DGRAM, 0), tx = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (rx < 0 || tx < 0) die("socket");
  struct sockaddr_un ra = { .sun_family = AF_UNIX }, ta = { .sun_family = AF_UNIX };
  snprintf(ra.sun_path, sizeof ra.sun_path, "%s", path_in(dir, "rx.sock"));
  snprintf(ta.sun_path, sizeof ta.sun_path, "%s", path_in(dir, "tx.sock"));
  if (bind(rx, (struct sockaddr *)&ra, sizeof ra) != 0) die("bind rx");
  if (bind(tx, (struct sockaddr *)&ta, sizeof ta) != 0) die("bind tx");
  s = send2(tx, "datagram ", "one", MSG_DONTWAIT, &ra, sizeof ra);
  ssize_t s2 = send2(tx, "datagram ", "two", MSG_DONTWAIT, &ra, sizeof ra);
  ssize_t s3 = send2(tx, "a datagram too long ", "for the buffer", MSG_DONTWAIT, &ra, sizeof ra);
  say("datagrams sent %zd %zd %zd\n", s, s2, s3);
  struct sockaddr_un from;
  memset(&from, 0, sizeof from);
  memset(b, 0, sizeof b);
  struct iovec one = { b, sizeof b - 1 };
  struct msghdr dm = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &one, .msg_iovlen = 1 };
  r = recvmsg(rx, &dm, MSG_DONTWAIT);
  say("datagram %zd '%s' from %s namelen ok %d\n", r, b, base(&from, dm.msg_namelen),
      dm.msg_namelen == offsetof(struct sockaddr_un, sun_path) + strlen(ta.sun_path) + 1);
  memset(&from, 0x55, sizeof from);
  memset(b, 0, sizeof b);
  dm.msg_namelen = 4;
  r = recvmsg(rx, &dm, MSG_DONTWAIT);
  unsigned char *f = (unsigned char *)&from;
  say("datagram %zd '%s' short name: namelen ok %d family %d then 0x%x\n", r, b,
      dm.msg_namelen == offsetof(struct sockaddr_un, sun_path) + strlen(ta.sun_path) + 1, from.sun_family, f[4]);
  memset(b, 0, sizeof b);
  char small[8] = { 0 };
  struct iovec sm = { small, sizeof small - 1 };
  struct msghdr tm = { .msg_iov = &sm, .msg_iovlen = 1 };
  r = recvmsg(rx, &tm, MSG_DONTWAIT | MSG_TRUNC);
  say("truncated %zd '%s' flags trunc %d\n", r, small, (tm.msg_flags & MSG_TRUNC) != 0);
  errno = 0;
  r = recvmsg(rx, &tm, MSG_DONTWAIT);
  say("datagram empty %zd %d\n", r, errno == EAGAIN);
  close(rx);
  close(tx);
  return 0;
}

static int rights_case(const char *dir) {
  int file = make_file(dir, "passed.txt", "bytes of the file passed");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) die("socketpair");
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = { "F", 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &file, sizeof file);
  ssize_t s = sendmsg(sv[0], &mh, MSG_DONTWAIT);
  close(file);
  char got[2] = { 0 };
  struct iovec riov = { got, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } rctl;
  memset(&rctl, 0, sizeof rctl);
  struct msghdr rm = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl.buf, .msg_controllen = sizeof rctl.buf };
  ssize_t r = recvmsg(sv[1], &rm, MSG_DONTWAIT);
  struct cmsghdr *rc = CMSG_FIRSTHDR(&rm);
  int fd = -1;
  if (rc && rc->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(rc), sizeof fd);
  char buf[64] = { 0 };
  ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
  say("rights sent %zd received %zd '%s' fd ok %d read %zd '%s'\n", s, r, got, fd > 2, n, buf);
  close(fd);
  close(sv[0]);
  close(sv[1]);
  return 0;
}

static int tty_case(const char *dir) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0) die("posix_openpt");
  if (grantpt(m) != 0 || unlockpt(m) != 0) die("grantpt");
  char *name = ptsname(m);
  if (!name) die("ptsname");
  int t = open(name, O_RDWR | O_NOCTTY);
  if (t < 0) die("open pts");
  struct termios tio;
  memset(&tio, 0, sizeof tio);
  int r = ioctl(t, TCGETS, &tio);
  say("TCGETS %d icanon %d echo %d csize %d\n", r, (tio.c_lflag & ICANON) != 0, (tio.c_lflag & ECHO) != 0, (tio.c_cflag & CSIZE) == CS8);
  struct winsize ws = { .ws_row = 33, .ws_col = 101 }, got;
  if (ioctl(m, TIOCSWINSZ, &ws) != 0) die("TIOCSWINSZ");
  memset(&got, 0, sizeof got);
  r = ioctl(t, TIOCGWINSZ, &got);
  say("TIOCGWINSZ %d %d x %d\n", r, got.ws_row, got.ws_col);
  if (write(m, "typed line\n", 11) != 11) die("write master");
  struct pollfd p = { t, POLLIN, 0 };
  if (poll(&p, 1, 5000) != 1) die("poll pts");
  int n = -1;
  r = ioctl(t, FIONREAD, &n);
  say("FIONREAD pts %d %d\n", r, n);
  pid_t pg = 12345;
  errno = 0;
  r = ioctl(t, TIOCGPGRP, &pg);
  say("TIOCGPGRP not controlling %d %d %d\n", r, errno == ENOTTY, pg == 12345);

  int file = make_file(dir, "plain.txt", "five!");
  errno = 0;
  r = ioctl(file, TCGETS, &tio);
  say("TCGETS file %d %d\n", r, errno == ENOTTY);
  n = -1;
  r = ioctl(file, FIONREAD, &n);
  say("FIONREAD file %d %d\n", r, n);
  int pp[2];
  if (pipe(pp) != 0) die("pipe");
  if (write(pp[1], "abc", 3) != 3) die("write pipe");
  n = -1;
  r = ioctl(pp[0], FIONREAD, &n);
  say("FIONREAD pipe %d %d\n", r, n);
  close(pp[0]);
  close(pp[1]);
  close(file);
  close(t);
  close(m);
  return 0;
}

static int poll_case(void) {
  int ready[2], empty[2];
  if (pipe(ready) != 0 || pipe(empty) != 0) die("pipe");
  if (write(ready[1], "x", 1) != 1) die("write");
  struct pollfd p[2] = { { ready[0], POLLIN, 0 }, { empty[0], POLLIN, 0 } };
  int r = ppoll(p, 2, NULL, NULL);
  say("ppoll ready %d %d %d\n", r, p[0].revents, p[1].revents);
  struct timespec zero = { 0, 0 };
  struct pollfd e = { empty[0], POLLIN, 0 };
  r = ppoll(&e, 1, &zero, NULL);
  say("ppoll zero timeout %d %d\n", r, e.revents);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  p[0].revents = p[1].revents = 0;
  r = ppoll(p, 2, NULL, &mask);
  say("ppoll with a mask %d %d %d\n", r, p[0].revents, p[1].revents);

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ull };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ready[0], &ev) != 0) die("epoll_ctl");
  struct epoll_event out[4];
  memset(out, 0, sizeof out);
  r = epoll_pwait(ep, out, 4, -1, NULL);
  say("epoll_pwait ready %d %x %llx\n", r, out[0].events, (unsigned long long)out[0].data.u64);
  memset(out, 0, sizeof out);
  r = epoll_pwait(ep, out, 4, -1, &mask);
  say("epoll_pwait with a mask %d %x %llx\n", r, out[0].events, (unsigned long long)out[0].data.u64);
  int ep2 = epoll_create1(0);
  struct epoll_event ev2 = { .events = EPOLLIN };
  if (ep2 < 0 || epoll_ctl(ep2, EPOLL_CTL_ADD, empty[0], &ev2) != 0) die("epoll 2");
  r = epoll_pwait(ep2, out, 4, 0, NULL);
  say("epoll_pwait zero timeout %d\n", r);
  close(ep);
  close(ep2);
  return 0;
}

static volatile sig_atomic_t got;
static void on_usr1(int sig) {
  (void)sig;
  got++;
}

/* SIGUSR1 blocked and pending while ppoll or epoll_pwait runs under a mask that lets it through. */
static int mask_case(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1; /* no SA_RESTART */
  if (sigaction(SIGUSR1, &sa, NULL) != 0) die("sigaction");
  sigset_t usr1, none;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  if (sigprocmask(SIG_BLOCK, &usr1, NULL) != 0) die("sigprocmask");
  int ready[2], empty[2];
  if (pipe(ready) != 0 || pipe(empty) != 0) die("pipe");
  if (write(ready[1], "x", 1) != 1) die("write");
  struct pollfd e = { empty[0], POLLIN, 0 }, r1 = { ready[0], POLLIN, 0 };
  struct timespec zero = { 0, 0 };

  raise(SIGUSR1);
  errno = 0;
  int r = ppoll(&e, 1, NULL, &none);
  say("ppoll waiting, signal pending: %d %d handled %d\n", r, errno == EINTR, got);
  raise(SIGUSR1);
  errno = 0;
  r = ppoll(&e, 1, &zero, &none);
  say("ppoll zero timeout, signal pending: %d %d handled %d\n", r, errno == EINTR, got);
  raise(SIGUSR1);
  r = ppoll(&r1, 1, NULL, &none);
  say("ppoll ready, signal pending: %d %d handled %d\n", r, r1.revents, got);
  if (sigprocmask(SIG_UNBLOCK, &usr1, NULL) != 0) die("sigprocmask");
  say("unblocked: handled %d\n", got);
  if (sigprocmask(SIG_BLOCK, &usr1, NULL) != 0) die("sigprocmask");

  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN }, out[2];
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, empty[0], &ev) != 0) die("epoll");
  raise(SIGUSR1);
  r = epoll_pwait(ep, out, 2, 0, &none);
  say("epoll_pwait zero timeout, signal pending: %d handled %d\n", r, got);
  errno = 0;
  r = epoll_pwait(ep, out, 2, -1, &none);
  say("epoll_pwait waiting, signal pending: %d %d handled %d\n", r, errno == EINTR, got);
  close(ep);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "readv") == 0) readv_case(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "msg") == 0) msg_case(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "rights") == 0) rights_case(argv[2]);
  else if (argc >= 3 && strcmp(argv[1], "tty") == 0) tty_case(argv[2]);
  else if (argc >= 2 && strcmp(argv[1], "poll") == 0) poll_case();
  else if (argc >= 2 && strcmp(argv[1], "mask") == 0) mask_case();
  else {
    say("usage: sb-more readv|msg|rights|tty DIR | poll | mask\n");
    return 2;
  }
  say("EXIT-SUCCESS\n");
  return 0;
}
