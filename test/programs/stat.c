/* stat.c: file metadata and directory order, which differ between native runs:
 * inode numbers, nanosecond timestamps, mkstemp names, /proc/self/stat start time,
 * and the readdir order of randomly named files. Removes everything it made. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define NFILES 8

int main(void) {
  char tmpl[] = "/tmp/rewind-stat-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) { printf("mkstemp failed\n"); return 1; }
  printf("mkstemp %s\n", tmpl);
  const char msg[] = "some bytes for the temp file\n";
  if (write(fd, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1)) return 1;

  struct stat st, fst;
  if (stat(tmpl, &st) != 0 || fstat(fd, &fst) != 0) { printf("stat failed\n"); return 1; }
  printf("stat ino %llu size %lld mode %o nlink %lu\n", (unsigned long long)st.st_ino, (long long)st.st_size,
         st.st_mode & 07777, (unsigned long)st.st_nlink);
  printf("stat mtim %lld.%09ld ctim %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
         (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  printf("fstat ino %llu mtim-ns %09ld same-ino %s\n", (unsigned long long)fst.st_ino, fst.st_mtim.tv_nsec,
         fst.st_ino == st.st_ino ? "yes" : "no");

  struct statx sx;
  if (statx(AT_FDCWD, tmpl, 0, STATX_ALL, &sx) != 0) { printf("statx failed\n"); return 1; }
  printf("statx ino %llu size %llu mtime %lld.%09u btime-mask %s\n", (unsigned long long)sx.stx_ino,
         (unsigned long long)sx.stx_size, (long long)sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec,
         (sx.stx_mask & STATX_BTIME) ? "yes" : "no");
  if (sx.stx_mask & STATX_BTIME)
    printf("statx btime %lld.%09u\n", (long long)sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec);
  close(fd);

  /* Field 22 of /proc/self/stat: start time in clock ticks after boot. */
  char pst[1024];
  int pfd = open("/proc/self/stat", O_RDONLY);
  ssize_t n = pfd >= 0 ? read(pfd, pst, sizeof pst - 1) : -1;
  if (pfd >= 0) close(pfd);
  if (n <= 0) { printf("read /proc/self/stat failed\n"); return 1; }
  pst[n] = 0;
  char *p = strrchr(pst, ')'); /* skip "pid (comm)" */
  unsigned long long starttime = 0;
  if (p) {
    int field = 2;
    char *tok = strtok(p + 1, " ");
    while (tok && ++field < 22) tok = strtok(NULL, " ");
    if (tok) starttime = strtoull(tok, NULL, 10);
  }
  printf("proc-self-stat starttime %llu\n", starttime);

  /* A directory of randomly named files, listed in readdir order. */
  char dtmpl[] = "/tmp/rewind-dir-XXXXXX";
  if (!mkdtemp(dtmpl)) { printf("mkdtemp failed\n"); return 1; }
  printf("mkdtemp %s\n", dtmpl);
  char names[NFILES][64];
  for (int i = 0; i < NFILES; i++) {
    unsigned char r[6];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) return 1;
    snprintf(names[i], sizeof names[i], "%s/f%02x%02x%02x%02x%02x%02x", dtmpl, r[0], r[1], r[2], r[3], r[4], r[5]);
    int f = open(names[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (f < 0) { printf("create failed\n"); return 1; }
    if (write(f, names[i], (size_t)i) != i) return 1;
    close(f);
  }
  DIR *dir = opendir(dtmpl);
  if (!dir) { printf("opendir failed\n"); return 1; }
  struct dirent *de;
  int listed = 0;
  while ((de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    printf("readdir %s ino %llu type %d\n", de->d_name, (unsigned long long)de->d_ino, (int)de->d_type);
    listed++;
  }
  closedir(dir);
  printf("listed %d\n", listed);

  for (int i = 0; i < NFILES; i++) unlink(names[i]);
  rmdir(dtmpl);
  unlink(tmpl);
  struct stat gone;
  printf("cleaned-up %s\n", (stat(tmpl, &gone) != 0 && stat(dtmpl, &gone) != 0) ? "yes" : "no");
  printf("EXIT-SUCCESS\n");
  fflush(stdout);
  return 0;
}
