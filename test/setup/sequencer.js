const Sequencer = require('@jest/test-sequencer').default;

/** Order of the projects when jest has no duration yet for a file (a fresh clone, a new file). */
const WEIGHT = { e2e: 3, construct: 2, unit: 1 };

/**
 * Slowest first, so that the workers finish together: by the last run's duration (jest's cache)
 * when both files have one, else e2e before construct before unit, then the larger file first.
 * jest's own order runs files without a duration last, which on a fresh clone can leave one
 * worker running the fault matrix alone after the other has finished. Failed files still go
 * first, as in jest's order.
 */
class SlowestFirst extends Sequencer {
  sort(tests) {
    const weight = (test) => WEIGHT[test.context.config.displayName?.name] ?? 0;
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    for (const test of tests) test.duration = this.time(test);
    return tests.sort((a, b) => {
      const [fa, fb] = [this.hasFailed(a), this.hasFailed(b)];
      if (fa !== fb) return fa ? -1 : 1;
      if (a.duration != null && b.duration != null) return b.duration - a.duration;
      return weight(b) - weight(a) || size(b) - size(a);
    });
  }
}

module.exports = SlowestFirst;
