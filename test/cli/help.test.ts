/**
 * Help and version the way operators ask for them (issue 12 item 6): `--help`, `-h`, `help`,
 * `--version`, `-v`, `version` and `COMMAND --help` print to stdout and exit 0; the options a
 * command's help lists are the ones its parser takes; a wrong flag is still a clear error.
 */
import { describe, expect, test } from "bun:test";
import { SPECS } from "../../src/cli/specs.ts";
import { runFulcrum } from "../helpers/process.ts";

describe("help", () => {
  test("--help, -h and help print the same usage with every command and exit 0", async () => {
    const runs = await Promise.all([["--help"], ["-h"], ["help"]].map((a) => runFulcrum(a)));
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(runs[0]!.stdout);
    }
    expect(runs[0]!.stdout).toContain("usage: ");
    for (const spec of SPECS) expect(runs[0]!.stdout).toMatch(new RegExp(`^  ${spec.name}\\b`, "m"));
  }, 20_000);

  test("--version, -v and version print the version and exit 0", async () => {
    const runs = await Promise.all([["--version"], ["-v"], ["version"]].map((a) => runFulcrum(a)));
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^fulcrum \d+\.\d+\.\d+ \(commit ([0-9a-f]{40}|unknown), bun \d+\.\d+\.\d+\)\n$/);
    }
  }, 20_000);

  test("COMMAND --help, COMMAND -h and help COMMAND list that command's options and exit 0", async () => {
    const runs = await Promise.all(SPECS.filter((s) => s.name !== "help").map(async (spec) => ({ spec, r: await runFulcrum([spec.name, "--help"]) })));
    for (const { spec, r } of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${spec.name} `);
      for (const option of Object.keys(spec.options)) expect(r.stdout).toContain(`--${option}`);
    }
    const start = runs.find((x) => x.spec.name === "start")!.r.stdout;
    for (const flag of ["--config FILE", "--log-format text|json", "--drain-timeout-ms MS", "SIGHUP", "SIGUSR1"]) expect(start).toContain(flag);
    const [short, viaHelp] = await Promise.all([runFulcrum(["start", "-h"]), runFulcrum(["help", "start"])]);
    expect(short.stdout).toBe(start);
    expect(viaHelp.stdout).toBe(start);
  }, 30_000);

  test("--help after a lone -- is an argument, not a request for help", async () => {
    const r = await runFulcrum(["validate", "--", "--help"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--help: no such file");
  }, 20_000);
});

describe("wrong command lines stay clear errors (exit 2)", () => {
  test("an unknown flag names itself and where the options are listed", async () => {
    const [flag, value, command, none] = await Promise.all([
      runFulcrum(["start", "--confg", "x.yaml"]),
      runFulcrum(["apply", "--dry-run=yes", "-f", "x.yaml"]),
      runFulcrum(["strat"]),
      runFulcrum([]),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option --confg (see npm run -s fulcrum -- start --help)");
    expect(value.code).toBe(2);
    expect(value.stderr).toContain("option --dry-run takes no value");
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "strat"');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("usage: ");
  }, 20_000);
});
