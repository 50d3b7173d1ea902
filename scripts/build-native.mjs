#!/usr/bin/env node
// Builds the C parts with the machine's compiler: build/rewind.node (N-API addon), build/rewind-launcher,
// build/rewind-probe (the capability probes) and build/rewind-exec-stub (replay's stand-in for an execve).
// Run by `npm install` (prepare script). Needs gcc (or $CC) and Node's headers, which ship with Node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build');
const cc = process.env.CC || 'gcc';
const nodeInclude = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].find((d) => existsSync(join(d, 'node_api.h')));

if (!nodeInclude) {
  console.error('rewind: cannot find node_api.h (Node.js headers); install the nodejs headers package');
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const warn = ['-Wall', '-Wextra', '-Werror', '-O2', '-g'];
const targets = [
  { src: 'native/addon.c', dst: 'rewind.node', args: ['-shared', '-fPIC', '-fvisibility=hidden', `-I${nodeInclude}`] },
  // Static: a replay needs nothing of the machine's loader and libc (a portable trace replays where they
  // differ or are missing; src/syscalls/exec-image.ts).
  { src: 'native/launcher.c', dst: 'rewind-launcher', args: ['-static'] },
  { src: 'native/probe.c', dst: 'rewind-probe', args: [] },
  // Replay's stand-in for a recorded execve (src/syscalls/exec-image.ts): static, no libc, at an address
  // the kernel gives no executable, loader, stack or vDSO.
  {
    src: 'native/exec-stub.c', dst: 'rewind-exec-stub',
    args: ['-static', '-nostdlib', '-no-pie', '-fno-pie', '-fno-asynchronous-unwind-tables', '-fno-stack-protector',
      '-Wl,--build-id=none', '-Wl,-z,noexecstack', '-Wl,-Ttext-segment=0x100000000000'],
  },
];

// The syscall buffer's in-process code (native/syscallbuf/): freestanding, linked at the fixed address
// rewind maps it to, written out as raw bytes (build/syscallbuf.bin), not a program or a library.
const blobLd = join(root, 'native/syscallbuf/syscallbuf.ld');
const blobCode = ['native/syscallbuf/entry.S', 'native/syscallbuf/cpuid.S', 'native/syscallbuf/syscallbuf.c'].map((f) => join(root, f));
const blobSrc = [blobLd, ...blobCode];
const blobDst = join(out, 'syscallbuf.bin');
if (!existsSync(blobDst) || blobSrc.some((f) => statSync(f).mtimeMs >= statSync(blobDst).mtimeMs)) {
  try {
    execFileSync(cc, [...warn, '-nostdlib', '-ffreestanding', '-fno-builtin', '-fno-stack-protector', '-fpie', '-no-pie', '-static',
      '-mno-red-zone', '-mgeneral-regs-only', '-fcf-protection=none', '-fno-asynchronous-unwind-tables',
      `-Wl,-T,${blobLd}`, '-Wl,--oformat=binary', '-Wl,--build-id=none', '-o', blobDst, ...blobCode], { stdio: 'inherit' });
  } catch {
    console.error('rewind: building native/syscallbuf with ' + cc + ' failed');
    process.exit(1);
  }
}

for (const t of targets) {
  const src = join(root, t.src);
  const dst = join(out, t.dst);
  if (existsSync(dst) && statSync(dst).mtimeMs > statSync(src).mtimeMs) continue;
  try {
    execFileSync(cc, [...warn, ...t.args, '-o', dst, src], { stdio: 'inherit' });
  } catch {
    console.error(`rewind: building ${t.src} with ${cc} failed`);
    process.exit(1);
  }
}
