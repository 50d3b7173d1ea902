/*
 * rewind's syscall buffer: runs the common system calls that cannot block inside the program, without
 * a ptrace stop, and keeps each call's result and output bytes in a per-thread buffer the tracer reads
 * (record), or takes them from the records the tracer wrote there (replay). Freestanding: no libc, no
 * TLS, no relocations; linked at a fixed address (syscallbuf.ld) and mapped there by rewind after
 * every exec (src/syscallbuf/). A thread finds its buffer's header through %gs (its gs_base, which the
 * tracer sets; x86-64 Linux programs do not use GS).
 *
 * The layout of the header and of a record is shared with src/syscallbuf/layout.ts and described in
 * docs/TRACE_FORMAT.md (`buffered` frames hold the records as written here).
 */
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;

struct sb_header {
  u64 self;          /* 0: this header's address */
  u32 magic;         /* 8 */
  u32 mode;          /* 12: 0 off (every call traced), 1 record, 2 replay */
  u64 stack_top;     /* 16: the buffer's own stack */
  u64 records;       /* 24: address of the record area */
  u32 capacity;      /* 32: its size in bytes */
  u32 used;          /* 36: bytes of records (written at record, loaded at replay) */
  u32 count;         /* 40: records */
  u32 consumed;      /* 44: replay: records used so far */
  u32 consumed_bytes;/* 48 */
  i32 mismatch_nr;   /* 52: replay: a call that did not match the next record (-1: none) */
  u32 mismatch_at;   /* 56: replay: the index of that record */
};

/* A record: this, then nout outputs, each { u64 addr; u64 len; len bytes padded to 8 }. */
struct sb_record {
  u32 size;          /* the whole record, a multiple of 8 */
  i32 nr;
  i64 args[6];
  i64 result;
  u32 nout;
  u32 pad;
};

struct sb_frame { i64 nr, a[6]; };
struct sb_ret { i64 result; i64 traced; };

/* The table at the blob's start: offsets rewind reads (src/syscallbuf/blob.ts). */
extern char sb_entry[], sb_untraced_ip[], sb_traced_ip[];
__attribute__((section(".sb_table"), used)) static const u64 sb_table[] = {
  0x3162737764776572ul, /* "rewdwsb1" */
  (u64)sb_entry, (u64)sb_untraced_ip, (u64)sb_traced_ip,
};

i64 sb_untraced(i64 nr, i64 a1, i64 a2, i64 a3, i64 a4, i64 a5, i64 a6);
struct sb_ret sb_hook(struct sb_frame *f);

static struct sb_header *header(void) {
  struct sb_header *h;
  __asm__ volatile("mov %%gs:0, %0" : "=r"(h));
  return h;
}

static void copy(u8 *to, const u8 *from, u64 n) {
  for (u64 i = 0; i < n; i++) to[i] = from[i];
}

#define S_IFMT 0170000
#define S_IFREG 0100000
#define ST_MODE_OFFSET 24   /* st_mode in x86-64's struct stat */
#define STAT_SIZE 144
#define STATX_SIZE 256
#define MAX_OUT 2

struct out { u64 addr, len; };

/*
 * The calls buffered, and for each the most its outputs can be before the call (0: none) — or -1
 * when it is not buffered. Only calls that cannot block, whose every effect at replay is their result
 * and these bytes (the syscall table emulates them all).
 */
static i64 max_output(i64 nr, const i64 *a) {
  switch (nr) {
  case 0: case 17:            /* read, pread64: regular files only (checked by the caller) */
  case 217:                   /* getdents64 */
  case 89:                    /* readlink */
    return a[2];
  case 267: return a[3];      /* readlinkat */
  case 191: case 192: case 193: return a[2] && a[3] ? a[3] : 0; /* getxattr, lgetxattr, fgetxattr */
  case 4: case 5: case 6: case 262: return STAT_SIZE; /* stat, fstat, lstat, newfstatat */
  case 332: return STATX_SIZE;
  case 228: return 16;        /* clock_gettime */
  case 96: return 24;         /* gettimeofday */
  case 201: return 8;         /* time */
  case 8: case 21: case 269: case 439:  /* lseek, access, faccessat, faccessat2 */
  case 39: case 186: case 110: case 102: case 107: case 104: case 108: /* getpid, gettid, getppid, get[e]uid, get[e]gid */
    return 0;
  default: return -1;
  }
}

/* The bytes the call wrote, from its arguments and result (the same rules as the syscall table's). */
static u32 outputs(i64 nr, const i64 *a, i64 r, struct out *o) {
  if (r < 0 && r > -4096) return 0;
  switch (nr) {
  case 0: case 17: case 217: case 89: o[0].addr = a[1]; o[0].len = r; return 1;
  case 267: o[0].addr = a[2]; o[0].len = r; return 1;
  case 191: case 192: case 193: if (!a[2] || !a[3]) return 0; o[0].addr = a[2]; o[0].len = r; return 1;
  case 4: case 5: case 6: o[0].addr = a[1]; o[0].len = STAT_SIZE; return 1;
  case 262: o[0].addr = a[2]; o[0].len = STAT_SIZE; return 1;
  case 332: o[0].addr = a[4]; o[0].len = STATX_SIZE; return 1;
  case 228: o[0].addr = a[1]; o[0].len = 16; return 1;
  case 96: {
    u32 n = 0;
    if (a[0]) { o[n].addr = a[0]; o[n].len = 16; n++; }
    if (a[1]) { o[n].addr = a[1]; o[n].len = 8; n++; }
    return n;
  }
  case 201: if (!a[0]) return 0; o[0].addr = a[0]; o[0].len = 8; return 1;
  default: return 0;
  }
}

/* How many arguments the call takes (those compared at replay). */
static int nargs(i64 nr) {
  switch (nr) {
  case 39: case 186: case 110: case 102: case 107: case 104: case 108: return 0;
  case 201: return 1;
  case 4: case 5: case 6: case 21: case 228: case 96: return 2;
  case 0: case 217: case 89: case 8: case 269: return 3;
  case 17: case 262: case 267: case 191: case 192: case 193: case 439: return 4;
  case 332: return 5;
  default: return 6;
  }
}

static int regular_file(i64 fd) {
  u64 st[STAT_SIZE / 8];
  if (sb_untraced(5, fd, (i64)st, 0, 0, 0, 0) != 0) return 0;
  u32 mode = *(u32 *)((u8 *)st + ST_MODE_OFFSET);
  return (mode & S_IFMT) == S_IFREG;
}

static struct sb_ret traced(void) {
  struct sb_ret r = { 0, 1 };
  return r;
}

static struct sb_ret record(struct sb_header *h, struct sb_frame *f) {
  i64 max = max_output(f->nr, f->a);
  if (max < 0) return traced();
  u64 need = sizeof(struct sb_record) + MAX_OUT * 16 + (u64)max + 8;
  if ((u64)max > h->capacity || h->used + need > h->capacity) return traced(); /* full: the traced call flushes it */
  if ((f->nr == 0 || f->nr == 17) && !regular_file(f->a[0])) return traced();
  i64 r = sb_untraced(f->nr, f->a[0], f->a[1], f->a[2], f->a[3], f->a[4], f->a[5]);
  struct sb_record *rec = (struct sb_record *)(h->records + h->used);
  rec->nr = (i32)f->nr;
  for (int i = 0; i < 6; i++) rec->args[i] = f->a[i];
  rec->result = r;
  struct out o[MAX_OUT];
  u32 n = outputs(f->nr, f->a, r, o);
  rec->nout = n;
  rec->pad = 0;
  u8 *p = (u8 *)(rec + 1);
  for (u32 i = 0; i < n; i++) {
    u64 len = o[i].len > (u64)max ? (u64)max : o[i].len;
    ((u64 *)p)[0] = o[i].addr;
    ((u64 *)p)[1] = len;
    copy(p + 16, (const u8 *)o[i].addr, len);
    p += 16 + ((len + 7) & ~7ul);
  }
  rec->size = (u32)(p - (u8 *)rec);
  h->used += rec->size;
  h->count++;
  struct sb_ret ret = { r, 0 };
  return ret;
}

static struct sb_ret replay(struct sb_header *h, struct sb_frame *f) {
  if (h->consumed >= h->count) return traced(); /* no record: the call was traced when recorded */
  struct sb_record *rec = (struct sb_record *)(h->records + h->consumed_bytes);
  int ok = rec->nr == f->nr;
  for (int i = 0; ok && i < nargs(f->nr); i++) ok = rec->args[i] == f->a[i];
  if (!ok) {
    /* Not the recorded call: traced, so the replayer stops there and reports the divergence. */
    h->mismatch_nr = (i32)f->nr;
    h->mismatch_at = h->consumed;
    return traced();
  }
  u8 *p = (u8 *)(rec + 1);
  for (u32 i = 0; i < rec->nout; i++) {
    u64 addr = ((u64 *)p)[0], len = ((u64 *)p)[1];
    copy((u8 *)addr, p + 16, len);
    p += 16 + ((len + 7) & ~7ul);
  }
  h->consumed++;
  h->consumed_bytes += rec->size;
  struct sb_ret ret = { rec->result, 0 };
  return ret;
}

struct sb_ret sb_hook(struct sb_frame *f) {
  struct sb_header *h = header();
  if (h->mode == 1) return record(h, f);
  if (h->mode == 2) return replay(h, f);
  return traced();
}
