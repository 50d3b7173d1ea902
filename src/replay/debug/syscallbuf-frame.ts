// Replay (debugging): the registers gdb is shown for a thread waiting in a call the syscall buffer
// handed to the tracer (a futex wait that waits, a read of an empty pipe: patched libc wrappers call
// the buffer, whose traced `syscall` is then where the thread sits). The buffer's code has no unwind
// information, so gdb could not show the thread's frames from there; it is shown where a thread
// waiting in that call natively is: right after the wrapper's own `syscall` instruction, with the
// stack pointer the wrapper had. Nothing else differs: the buffer gives every other register back
// before its traced syscall (rcx and r11, which a syscall clobbers, aside).
import { R } from '../../kernel/regs.js';
import type { PatchedCode } from '../../patch/code-patcher.js';
import { siteSyscallOfReturn } from '../../patch/syscall-sites.js';
import { syscallbufBlob } from '../../syscallbuf/blob.js';

// A stub (src/patch/syscall-sites.ts) steps over the red zone (lea -0x80(%rsp),%rsp) and calls the
// buffer's entry, whose return address is what the thread's stack holds at the traced syscall.
const RED_ZONE = 0x80n;

/** regs as gdb should see them: moved to the patched site when the thread is at the buffer's traced syscall. */
export function atPatchedSite(regs: BigUint64Array, code: PatchedCode, read8: (addr: bigint) => Uint8Array): BigUint64Array {
  if (regs[R.rip] !== syscallbufBlob().tracedIp) return regs;
  const b = read8(regs[R.rsp]!);
  if (b.length !== 8) return regs;
  const ret = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  const site = code.syscallSiteOfStub(ret);
  const syscall = site ? siteSyscallOfReturn(site, ret) : null;
  if (syscall === null) return regs; // called from elsewhere (the vDSO's clock functions)
  const shown = regs.slice();
  shown[R.rip] = syscall + 2n;
  shown[R.rsp] = regs[R.rsp]! + 8n + RED_ZONE;
  return shown;
}
