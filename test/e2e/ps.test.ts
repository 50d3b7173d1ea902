// `rewind ps` lists the recorded process tree: pids as recorded, parents, exit statuses, command lines.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { explain, record, rewind, TempSpace } from '../helpers/harness.js';

const space = new TempSpace('ps');
after(() => space.cleanup());

test('ps shows a shell pipeline: the shell and its two children, with their parent and exit status', async () => {
  const rec = await record('/bin/sh', ['-c', '/bin/echo hi | /bin/cat; exit 3'], { space });
  assert.equal(rec.status, 3, explain(rec));
  assert.equal(rec.stdout.toString(), 'hi\n');
  const ps = await rewind(['ps', '--json', rec.traceDir]);
  assert.equal(ps.status, 0, explain(ps));
  const procs = JSON.parse(ps.stdout.toString()) as { pid: number; ppid: number | null; exit: string | null; command: string[] }[];
  assert.equal(procs.length, 3, explain(ps));
  const [sh, ...children] = procs;
  assert.deepEqual(sh!.command, ['/bin/sh', '-c', '/bin/echo hi | /bin/cat; exit 3']);
  assert.equal(sh!.ppid, null);
  assert.equal(sh!.exit, '3');
  assert.deepEqual(children.map((c) => c.command).sort(), [['/bin/cat'], ['/bin/echo', 'hi']]);
  for (const c of children) {
    assert.equal(c.ppid, sh!.pid);
    assert.equal(c.exit, '0');
    assert.notEqual(c.pid, sh!.pid);
  }
  const text = await rewind(['ps', rec.traceDir]);
  assert.equal(text.status, 0, explain(text));
  const lines = text.stdout.toString().trim().split('\n');
  assert.match(lines[0]!, /^PID\s+PPID\s+EXIT\s+CMD$/);
  assert.equal(lines.length, 4);
  assert.ok(lines.some((l) => l.startsWith(`${sh!.pid} `) && l.includes('/bin/sh -c')), text.stdout.toString());
});
