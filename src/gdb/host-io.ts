// gdb layer: Host I/O (vFile packets, gdb manual "Host I/O Packets"): gdb reads the debugged
// program's files through the server — the target's openFile/readLink — read-only. Holds this
// connection's open files (fd → TargetFile). Replies `F RESULT[,ERRNO][;DATA]`: numbers in hex,
// errno in gdb's File-I/O numbering, data escaped and cut to fit one packet.
// Imports nothing from rewind outside src/gdb.

import { concatBytes, escapeBinary, latin1Bytes, utf8Bytes } from './encoding.js';
import type { HostIoRequest } from './requests.js';
import { TargetError, type DebugTarget, type TargetFile } from './target.js';

/** Linux errno values used here. */
const ENOENT = 2, EIO = 5, EBADF = 9, EINVAL = 22, EMFILE = 24, EROFS = 30, ENAMETOOLONG = 36, ENOSYS = 38;

/**
 * gdb's File-I/O errno for a Linux one: most small numbers are the same; ENAMETOOLONG and ENOSYS
 * differ; anything gdb has no name for is EUNKNOWN (9999).
 */
export function fileIoErrno(linux: number): number {
  const same = [1, 2, 4, 5, 9, 13, 14, 16, 17, 19, 20, 21, 22, 23, 24, 27, 28, 29, 30];
  if (same.includes(linux)) return linux;
  if (linux === ENAMETOOLONG) return 91;
  if (linux === ENOSYS) return 88;
  return 9999;
}

/** gdb's File-I/O open flags. */
const O_ACCMODE = 0x3, O_APPEND = 0x8, O_CREAT = 0x200, O_TRUNC = 0x400, O_EXCL = 0x800;
const KNOWN_FLAGS = O_ACCMODE | O_APPEND | O_CREAT | O_TRUNC | O_EXCL;
/** S_IFREG | r--r--r--: every file served is a read-only regular file. */
const READ_ONLY_FILE = 0o100444;
/** Linux's PATH_MAX, counting the NUL. */
const PATH_MAX = 4096;
/** Files one connection may hold open. */
export const MAX_OPEN_FILES = 64;

class HostIoError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

const hex = (n: number) => (n < 0 ? '-' + (-n).toString(16) : n.toString(16));

export class HostIo {
  private readonly files = new Map<number, TargetFile>();

  constructor(
    private readonly target: DebugTarget,
    private readonly packetSize: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Whether vFile packets are answered at all (else they get the empty reply). */
  get supported(): boolean {
    return this.target.openFile !== undefined;
  }

  /** The reply payload; null for the empty reply (an operation the target cannot do). */
  async handle(req: HostIoRequest, currentPid: () => Promise<number>): Promise<Uint8Array | null> {
    try {
      return await this.perform(req, currentPid);
    } catch (err) {
      let errno = EIO;
      if (err instanceof HostIoError || err instanceof TargetError) errno = err.errno;
      else this.log(`gdb: vFile:${req.op} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (req.op === 'open') this.log(`gdb: vFile:open ${req.path}: errno ${errno}`);
      return latin1Bytes(`F-1,${hex(fileIoErrno(errno))}`);
    }
  }

  private async perform(req: HostIoRequest, currentPid: () => Promise<number>): Promise<Uint8Array | null> {
    switch (req.op) {
      case 'invalid':
        throw new HostIoError(EINVAL, req.reason);
      case 'setfs': {
        // 0 is the server's own file system; for a replay that is the recording's, as is the process's.
        if (req.pid !== 0 && req.pid !== (await currentPid())) throw new HostIoError(EINVAL, `no process ${req.pid}`);
        return result(0);
      }
      case 'open':
        return result(await this.open(req.path, req.flags));
      case 'pread':
        return this.pread(this.file(req.fd), req.count, req.offset);
      case 'pwrite':
        this.file(req.fd);
        throw new HostIoError(EBADF, 'files are open read-only');
      case 'close':
        this.file(req.fd);
        this.files.delete(req.fd);
        return result(0);
      case 'fstat':
        return withData(64, fileStat(this.file(req.fd)));
      case 'unlink':
        checkPath(req.path);
        throw new HostIoError(EROFS, 'the files of a recording cannot be removed');
      case 'readlink':
        return this.readLink(req.path);
    }
  }

  private async open(path: string, flags: number): Promise<number> {
    checkPath(path);
    if ((flags & ~KNOWN_FLAGS) !== 0 || (flags & O_ACCMODE) === O_ACCMODE) throw new HostIoError(EINVAL, 'bad open flags');
    if ((flags & (O_ACCMODE | O_APPEND | O_CREAT | O_TRUNC)) !== 0) throw new HostIoError(EROFS, 'opening for writing');
    if (this.files.size >= MAX_OPEN_FILES) throw new HostIoError(EMFILE, 'too many open files');
    const file = await this.target.openFile!(path);
    let fd = 1;
    while (this.files.has(fd)) fd++;
    this.files.set(fd, file);
    this.log(`gdb: vFile:open ${path} → fd ${fd} (${file.size} bytes)`);
    return fd;
  }

  private file(fd: number): TargetFile {
    const file = this.files.get(fd);
    if (!file) throw new HostIoError(EBADF, `fd ${fd} is not open`);
    return file;
  }

  private async pread(file: TargetFile, count: number, offset: number): Promise<Uint8Array> {
    const room = this.packetSize - `F${hex(count)};`.length;
    const want = Math.max(0, Math.min(count, room, file.size - offset));
    const data = want === 0 ? new Uint8Array(0) : (await file.read(offset, want)).subarray(0, want);
    const { escaped, consumed } = escapeBinary(data, room);
    return concatBytes(latin1Bytes(`F${hex(consumed)};`), escaped);
  }

  private async readLink(path: string): Promise<Uint8Array | null> {
    if (!this.target.readLink) return null;
    checkPath(path);
    const target = utf8Bytes(await this.target.readLink(path));
    const reply = withData(target.length, target);
    if (reply.length > this.packetSize) throw new HostIoError(ENAMETOOLONG, 'link target longer than a packet');
    return reply;
  }
}

function checkPath(path: string): void {
  if (path === '') throw new HostIoError(ENOENT, 'empty file name');
  if (utf8Bytes(path).length >= PATH_MAX) throw new HostIoError(ENAMETOOLONG, 'file name too long');
  if (!path.startsWith('/')) throw new HostIoError(ENOENT, 'only absolute file names are served');
}

function result(n: number): Uint8Array {
  return latin1Bytes(`F${hex(n)}`);
}

function withData(n: number, data: Uint8Array): Uint8Array {
  return concatBytes(latin1Bytes(`F${hex(n)};`), escapeBinary(data).escaped);
}

/** gdb's struct stat (File-I/O "struct stat"): 64 bytes, big-endian. */
function fileStat(file: TargetFile): Uint8Array {
  const out = new Uint8Array(64);
  const v = new DataView(out.buffer);
  const size = BigInt(file.size);
  const mtime = Math.max(0, Math.min(Math.floor(file.mtime ?? 0), 0xffffffff));
  v.setUint32(8, READ_ONLY_FILE); // mode (dev 0, ino 0 before it)
  v.setUint32(12, 1); // nlink (uid, gid, rdev 0)
  v.setBigUint64(28, size);
  v.setBigUint64(36, 4096n); // blksize
  v.setBigUint64(44, (size + 511n) / 512n); // blocks
  v.setUint32(52, mtime); // atime
  v.setUint32(56, mtime); // mtime
  v.setUint32(60, mtime); // ctime
  return out;
}
