/** The `--name value` options of the benchmark scripts under loadtest/bench (no parser, no validation: they are run by hand). */

/** The value after `--name`, or `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

/** A comma-separated list of numbers (`--conns 1,8`). */
export function numbers(name: string, def: string): number[] {
  return arg(name, def).split(',').map(Number);
}
