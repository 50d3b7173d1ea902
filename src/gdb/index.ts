// gdb layer: public entry points of src/gdb for the rest of rewind (cli wires a replay engine's
// DebugTarget to serveGdb). src/gdb imports nothing from the rest of rewind.

export { serveGdb, type ServeOptions, type ServeResult } from './server.js';
export type * from './target.js';
export { TargetError } from './target.js';
export { encodeRegisterFile, registerLayout, registerValue, type RegisterLayout, type RegisterInfo } from './register-layout.js';
export { linuxToGdbSignal, gdbToLinuxSignal } from './signals.js';
