/* What container tools and sandboxes do first: a user namespace and a mount namespace of their own.
 *   userns DIR          unshare(CLONE_NEWUSER | CLONE_NEWNS) in this process
 *   userns DIR clone    the same in a child made by clone(CLONE_NEWUSER | CLONE_NEWNS), whose maps the
 *                       parent writes (/proc/CHILD/uid_map) while the child waits on a pipe
 *   userns DIR newpid   unshare(CLONE_NEWPID), which rewind refuses
 * Then (in the namespaces): maps the outer uid and gid to 4242 and 4343 (so the map shows), makes every
 * mount private, mounts a tmpfs on DIR, writes a file there, reads it back, lists DIR, prints its ids
 * and the mount, unmounts.
 * DIR is left as it was: the tmpfs exists only in the new mount namespace.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "say.h"

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) die(path);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die(path);
  close(fd);
}

static void set_maps(const char *proc, unsigned uid, unsigned gid) {
  char path[64], map[64];
  snprintf(map, sizeof map, "4242 %u 1\n", uid);
  snprintf(path, sizeof path, "%s/uid_map", proc);
  write_file(path, map);
  snprintf(path, sizeof path, "%s/setgroups", proc);
  write_file(path, "deny");
  snprintf(map, sizeof map, "4343 %u 1\n", gid);
  snprintf(path, sizeof path, "%s/gid_map", proc);
  write_file(path, map);
}

static int inside(const char *dir) {
  say("inside: uid %u euid %u gid %u\n", getuid(), geteuid(), getgid());
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("making mounts private");
  if (mount("sandbox", dir, "tmpfs", 0, "size=64k,mode=0755") != 0) die("mount tmpfs");
  char file[4096];
  snprintf(file, sizeof file, "%s/note.txt", dir);
  int fd = open(file, O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd < 0) die("create in tmpfs");
  const char *text = "written inside the sandbox\n";
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die("write");
  close(fd);
  char buf[128] = { 0 };
  fd = open(file, O_RDONLY);
  if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0) die("read back");
  close(fd);
  say("read back: %s", buf);
  struct stat st;
  if (stat(file, &st) != 0) die("stat");
  say("file owner %u:%u mode %o size %lld\n", st.st_uid, st.st_gid, st.st_mode & 07777, (long long)st.st_size);
  DIR *d = opendir(dir);
  if (!d) die("opendir");
  for (struct dirent *e; (e = readdir(d));) if (e->d_name[0] != '.') say("entry: %s\n", e->d_name);
  closedir(d);
  FILE *mi = fopen("/proc/self/mountinfo", "r");
  if (!mi) die("mountinfo");
  char line[1024];
  while (fgets(line, sizeof line, mi)) if (strstr(line, dir) && strstr(line, "tmpfs")) say("mounted: tmpfs on the dir\n");
  fclose(mi);
  if (umount2(dir, 0) != 0) die("umount2");
  say("unmounted; note.txt now %s\n", access(file, F_OK) == 0 ? "still there" : "gone");
  say("EXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) { say("usage: userns DIR [clone]\n"); return 2; }
  const char *dir = argv[1];
  unsigned uid = getuid(), gid = getgid();
  if (argc > 2 && strcmp(argv[2], "clone") == 0) {
    int go[2];
    if (pipe(go) != 0) die("pipe");
    static char stack[64 * 1024];
    struct arg { const char *dir; int fd; } a = { dir, go[0] };
    int child_main(void *p);
    pid_t pid = clone(child_main, stack + sizeof stack, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, &a);
    if (pid < 0) die("clone");
    close(go[0]);
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/%d", pid);
    set_maps(proc, uid, gid);
    if (write(go[1], "g", 1) != 1) die("write");
    int status;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    say("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    say("EXIT-SUCCESS\n");
    return 0;
  }
  if (argc > 2 && strcmp(argv[2], "newpid") == 0) {
    say("unshare(CLONE_NEWPID) = %d\n", unshare(CLONE_NEWPID));
    return 0;
  }
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) die("unshare");
  set_maps("/proc/self", uid, gid);
  return inside(dir);
}

int child_main(void *p) {
  struct arg { const char *dir; int fd; } *a = p;
  char c;
  if (read(a->fd, &c, 1) != 1) die("read");
  return inside(a->dir);
}
