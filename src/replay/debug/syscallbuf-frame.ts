// Replay (debugging): the registers gdb is shown for a thread waiting in a call the syscall buffer
// handed to the tracer (a futex wait that waits, a read of an empty pipe: patched libc wrappers call
// the buffer, whose traced `syscall` is then where the thread sits). The buffer's code has no unwind
// information, so gdb could not show the thread's frames from there; it is shown where a thread
// waiting in that call natively is: right after the wrapper's own `syscall` instruction, with the
// stack pointer the wrapper had. Nothing else differs: the buffer gives every other register back
// before its traced syscall (rcx and r11, which a syscall clobbers, aside).
import { R } from '../../kernel/regs.js';
import type { PatchedCode } from '../../patch/code-patcher.js';
import { syscallbufBlob } from '../../syscallbuf/blob.js';

// A stub (src/patch/syscall-sites.ts stubBytes): lea -0x80(%rsp),%rsp (5 bytes), the site's bytes
// before its syscall, call the buffer's entry (5 bytes; its return address is what the thread's stack
// holds at the traced syscall), lea 0x80(%rsp),%rsp, the bytes after the syscall, jmp back.
const LEA_DOWN = 5n;
const CALL = 5n;
const RED_ZONE = 0x80n;

/** regs as gdb should see them: moved to the patched site when the thread is at the buffer's traced syscall. */
export function atPatchedSite(regs: BigUint64Array, code: PatchedCode, read8: (addr: bigint) => Uint8Array): BigUint64Array {
  if (regs[R.rip] !== syscallbufBlob().tracedIp) return regs;
  const b = read8(regs[R.rsp]!);
  if (b.length !== 8) return regs;
  const ret = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  const site = code.syscallSiteOfStub(ret);
  if (!site?.original || site.stub === undefined) return regs; // called from elsewhere (the vDSO's clock functions)
  const sysOff = ret - site.stub - LEA_DOWN - CALL;
  const i = Number(sysOff);
  if (sysOff < 0n || i + 2 > site.original.length || site.original[i] !== 0x0f || site.original[i + 1] !== 0x05) return regs;
  const shown = regs.slice();
  shown[R.rip] = site.addr + sysOff + 2n;
  shown[R.rsp] = regs[R.rsp]! + 8n + RED_ZONE;
  return shown;
}
