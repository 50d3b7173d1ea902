/* sharedlib.c: a small shared library (built by the test into libmix.so) for the test of gdb reading
 * the recorded program's files from the trace: the test replaces it on disk after recording, and gdb
 * must still find shared_mix in the trace's copy. The comment in capitals marks the line looked for. */
int shared_mix(int x) {
  int r = x * 7 + 3; /* SHARED-MIX */
  return r;
}
