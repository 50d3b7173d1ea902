/* Calls that may block, for the syscall buffer's in-program checks (test/e2e/syscallbuf-blocking.test.ts).
 *   condvar   two threads pass work through a blocking pipe and a mutex/condvar queue: futex wakes
 *             (buffered), waits that must wait (traced), pipe reads that are ready (buffered) or not
 *   sockets   two threads ping-pong over a nonblocking socketpair, one waiting in poll, the other in
 *             epoll_wait (both with a timeout of -1: ready at once, buffered; not yet, traced)
 *   pipewait  a blocking pipe read that is ready (buffered), then one whose writer is another thread
 *             that writes only after 200 ms (traced: it waits)
 * Each prints what it computed; a run prints the same whatever the threads' interleaving. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "say.h"

#define ROUNDS 200

/* ---- condvar --------------------------------------------------------------------------------- */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static long queue[16];
static int qhead, qcount, finished;
static int work[2];

static void *cv_worker(void *arg) {
  (void)arg;
  long sum = 0;
  for (int i = 0; i < ROUNDS; i++) {
    long item;
    if (read(work[0], &item, sizeof item) != sizeof item) die("read work");
    sum += item;
    pthread_mutex_lock(&lock);
    while (qcount == 16) pthread_cond_wait(&ready, &lock);
    queue[(qhead + qcount) % 16] = item * 2;
    qcount++;
    pthread_cond_broadcast(&ready);
    pthread_mutex_unlock(&lock);
  }
  pthread_mutex_lock(&lock);
  finished = 1;
  pthread_cond_broadcast(&ready);
  pthread_mutex_unlock(&lock);
  return (void *)sum;
}

static int condvar(void) {
  if (pipe(work) != 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, cv_worker, NULL) != 0) die("pthread_create");
  long doubled = 0;
  int taken = 0;
  for (long i = 1; i <= ROUNDS; i++) {
    if (write(work[1], &i, sizeof i) != sizeof i) die("write work");
    if (i % 8 == 0 || i == ROUNDS) { /* take what the worker has queued so far, waiting for some */
      pthread_mutex_lock(&lock);
      while (qcount == 0 && !finished) pthread_cond_wait(&ready, &lock);
      while (qcount > 0) { doubled += queue[qhead]; qhead = (qhead + 1) % 16; qcount--; taken++; }
      pthread_cond_broadcast(&ready);
      pthread_mutex_unlock(&lock);
    }
  }
  pthread_mutex_lock(&lock);
  while (taken < ROUNDS) {
    while (qcount == 0) pthread_cond_wait(&ready, &lock);
    while (qcount > 0) { doubled += queue[qhead]; qhead = (qhead + 1) % 16; qcount--; taken++; }
    pthread_cond_broadcast(&ready);
  }
  pthread_mutex_unlock(&lock);
  void *sum;
  pthread_join(t, &sum);
  say("condvar sum %ld doubled %ld taken %d\n", (long)sum, doubled, taken);
  return 0;
}

/* ---- sockets --------------------------------------------------------------------------------- */
static int sv[2];

static void send_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, buf, n, 0);
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = { fd, POLLOUT, 0 };
      poll(&p, 1, -1);
      continue;
    }
    if (w <= 0) die("send");
    buf += w;
    n -= (size_t)w;
  }
}

/* Reads one 8-byte message (nonblocking fd: EAGAIN until it is there). */
static long take(int fd, int (*wait_for)(int)) {
  long v;
  size_t got = 0;
  while (got < sizeof v) {
    ssize_t r = recv(fd, (char *)&v + got, sizeof v - got, 0);
    if (r < 0 && errno == EAGAIN) {
      if (wait_for(fd) != 1) die("wait");
      continue;
    }
    if (r <= 0) die("recv");
    got += (size_t)r;
  }
  return v;
}

static int by_poll(int fd) {
  struct pollfd p = { fd, POLLIN, 0 };
  int r = poll(&p, 1, -1);
  return r == 1 && (p.revents & POLLIN) ? 1 : -1;
}

static int epfd;
static int by_epoll(int fd) {
  struct epoll_event ev;
  int r = epoll_wait(epfd, &ev, 1, -1);
  return r == 1 && ev.data.fd == fd && (ev.events & EPOLLIN) ? 1 : -1;
}

static void *pong(void *arg) {
  (void)arg;
  long total = 0;
  for (int i = 0; i < ROUNDS; i++) {
    if (by_epoll(sv[1]) != 1) die("epoll_wait"); /* ready at once when ping sent several */
    long v = take(sv[1], by_epoll);
    total += v;
    v += 1000;
    send_all(sv[1], (const char *)&v, sizeof v);
  }
  return (void *)total;
}

static int sockets(void) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) die("socketpair");
  epfd = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = sv[1] };
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, sv[1], &ev) != 0) die("epoll");
  long none;
  int empty = recv(sv[0], &none, sizeof none, 0) < 0 && errno == EAGAIN; /* nothing sent yet */
  pthread_t t;
  if (pthread_create(&t, NULL, pong, NULL) != 0) die("pthread_create");
  long back = 0;
  for (long i = 1; i <= ROUNDS; i += 4) { /* a burst of four, then their answers, each waited for in poll first */
    for (long j = i; j < i + 4; j++) send_all(sv[0], (const char *)&j, sizeof j);
    for (int j = 0; j < 4; j++) {
      if (by_poll(sv[0]) != 1) die("poll");
      back += take(sv[0], by_poll);
    }
  }
  void *total;
  pthread_join(t, &total);
  say("sockets sent %ld back %ld%s\n", (long)total, back, empty ? " (EAGAIN first)" : "");
  return 0;
}

/* ---- pipewait -------------------------------------------------------------------------------- */
static int late[2];

static void *late_writer(void *arg) {
  (void)arg;
  struct timespec ts = { 0, 200 * 1000 * 1000 };
  nanosleep(&ts, NULL);
  if (write(late[1], "late", 4) != 4) die("write late");
  return NULL;
}

static int pipewait(void) {
  int now[2];
  char buf[16];
  if (pipe(now) != 0 || pipe(late) != 0) die("pipe");
  if (write(now[1], "ready", 5) != 5) die("write ready");
  ssize_t a = read(now[0], buf, sizeof buf); /* data there: returns at once */
  pthread_t t;
  if (pthread_create(&t, NULL, late_writer, NULL) != 0) die("pthread_create");
  ssize_t b = read(late[0], buf + 5, sizeof buf - 5); /* nothing yet: waits for the writer */
  pthread_join(t, NULL);
  close(now[1]);
  ssize_t c = read(now[0], buf, sizeof buf); /* writer gone: end of file at once */
  say("pipewait %zd %zd %zd %.9s\n", a, b, c, buf);
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "condvar")) condvar();
  else if (!strcmp(mode, "sockets")) sockets();
  else if (!strcmp(mode, "pipewait")) pipewait();
  else {
    say("usage: sbblock condvar|sockets|pipewait\n");
    return 2;
  }
  say("EXIT-SUCCESS\n");
  return 0;
}
