/**
 * How hard the IRC property tests push. IRC_FUZZ_RUNS sets the runs per
 * property (1,000 by default, so the unit suite stays quick); IRC_FUZZ_SEED
 * replays the seed fast-check prints with a failure.
 */
export const FUZZ: { runs: number; seed: number | undefined } = {
  runs: Number(process.env.IRC_FUZZ_RUNS) || 1000,
  seed: process.env.IRC_FUZZ_SEED === undefined ? undefined : Number(process.env.IRC_FUZZ_SEED),
};
