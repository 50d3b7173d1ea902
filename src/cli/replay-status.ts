// CLI: the exit status of a replay that could not be completed (a divergence, an unusable trace).
export const REPLAY_FAILED = 125;
