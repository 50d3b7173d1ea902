// Tests for proc-maps.ts: the replay's maps shown with the recorded files' names, devices and inodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileRef } from '../../trace/events.js';
import { deviceNumbers, mapsAsRecorded } from './proc-maps.js';

const LIBC: FileRef = {
  path: '/usr/lib/x86_64-linux-gnu/libc.so.6', copy: '5-libc.so.6',
  dev: 0xfe01n, ino: 1234567n, size: 100n, mtimeNs: 0n,
};

test('lines mapping a trace copy get the recorded name, device and inode; the name column stays', () => {
  const real = [
    '555555554000-555555555000 r--p 00000000 00:2a 98765                      /tmp/t/files/1-prog',
    '7ffff7dd0000-7ffff7df6000 r--p 00000000 00:2a 4242                       /tmp/t/files/5-libc.so.6',
    '7ffff7df6000-7ffff7f4c000 r-xp 00026000 00:2a 4242                       /tmp/t/files/5-libc.so.6 (deleted)',
    '7ffff7fa5000-7ffff7fb2000 rw-p 00000000 00:00 0 ',
    '7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]',
    '7ffff7fca000-7ffff7fcb000 r--p 00000000 fe:01 777                        /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    '',
  ].join('\n');
  const prog = { ...LIBC, path: '/home/me/prog', copy: '1-prog', dev: 0x10300n, ino: 55n };
  const of = (name: string) => ({ '/tmp/t/files/1-prog': prog, '/tmp/t/files/5-libc.so.6': LIBC } as Record<string, FileRef>)[name];
  const shown = mapsAsRecorded(real, of).split('\n');
  assert.match(shown[0]!, /^555555554000-555555555000 r--p 00000000 103:00 55 +\/home\/me\/prog$/);
  assert.match(shown[1]!, /^7ffff7dd0000-7ffff7df6000 r--p 00000000 fe:01 1234567 +\/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6$/);
  assert.match(shown[2]!, /^7ffff7df6000-7ffff7f4c000 r-xp 00026000 fe:01 1234567 +\/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6$/);
  for (let i = 0; i < 3; i++) assert.equal(shown[i]!.indexOf('/'), 73, shown[i]); // the kernel's column
  assert.deepEqual(shown.slice(3), real.split('\n').slice(3)); // anonymous, vDSO, host files, the end
});

test('device numbers as the kernel prints them (glibc dev_t encoding)', () => {
  assert.equal(deviceNumbers(0xfe01n), 'fe:01');
  assert.equal(deviceNumbers(0n), '00:00');
  assert.equal(deviceNumbers(0x10300n), '103:00'); // major 259 (NVMe), minor 0
  assert.equal(deviceNumbers((0x123000n << 32n) | (0xabcn << 8n) | (0x4500n << 12n) | 0x67n), '123abc:4567');
});
