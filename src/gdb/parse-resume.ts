// gdb layer: parser for the resume family: c, C, s, S, bc, bs and vCont (gdb manual, "Packets"
// and "vCont"). Pure; imports nothing from rewind outside src/gdb.

import { parseHexInt } from './encoding.js';
import { malformed, type Request, type ResumeAction } from './requests.js';
import { parseThreadId } from './thread-id.js';

/** `c`, `s`, `Csig`, `Ssig`, `bc`, `bs`: one action for the Hc thread. */
export function parseLegacyResume(text: string): Request {
  if (text === 'bc' || text === 'bs') {
    const action = text === 'bc' ? 'continue' : 'step';
    return { kind: 'resume', direction: 'backward', actions: [{ action, signal: 0, thread: null }], legacy: true };
  }
  const action = text[0] === 'c' || text[0] === 'C' ? 'continue' : 'step';
  let signal = 0;
  let rest = text.slice(1);
  if (text[0] === 'C' || text[0] === 'S') {
    const semi = rest.indexOf(';');
    const sig = parseHexInt(semi < 0 ? rest : rest.slice(0, semi));
    if (sig === null || sig > 0xff) return malformed('C/S need a hex signal');
    signal = sig;
    rest = semi < 0 ? '' : rest.slice(semi + 1);
  }
  // A replayed program cannot be resumed somewhere else than where it is.
  if (rest !== '') return malformed('resuming at an address is not supported');
  return { kind: 'resume', direction: 'forward', actions: [{ action, signal, thread: null }], legacy: true };
}

/** `vCont;ACTION[:THREAD]…`; `vCont?` is handled by the caller. */
export function parseVCont(text: string): Request {
  if (!text.startsWith('vCont;')) return malformed('vCont needs actions');
  const actions: ResumeAction[] = [];
  for (const part of text.slice(6).split(';')) {
    const colon = part.indexOf(':');
    const verb = colon < 0 ? part : part.slice(0, colon);
    let thread = null;
    if (colon >= 0) {
      thread = parseThreadId(part.slice(colon + 1));
      if (thread === null) return malformed(`vCont: bad thread-id in ${part.slice(0, 40)}`);
    }
    let signal = 0;
    if (verb[0] === 'C' || verb[0] === 'S') {
      const sig = parseHexInt(verb.slice(1));
      if (sig === null || sig > 0xff) return malformed('vCont: C/S need a hex signal');
      signal = sig;
    } else if (verb !== 'c' && verb !== 's' && verb !== 't') {
      return malformed(`vCont: unsupported action ${verb.slice(0, 20)}`);
    }
    const action = verb[0] === 't' ? 'stop' : verb[0] === 'c' || verb[0] === 'C' ? 'continue' : 'step';
    actions.push({ action, signal, thread });
    if (actions.length > 1024) return malformed('vCont: too many actions');
  }
  return { kind: 'resume', direction: 'forward', actions, legacy: false };
}
