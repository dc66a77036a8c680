import { HealthChecker } from "../../src/health/index.ts";
import { runCheckerContract, type Flip } from "./checker.contract.ts";

runCheckerContract("HealthChecker", () => {
  const flips: Flip[] = [];
  const checker = new HealthChecker((pool, backend, healthy) => flips.push({ pool, backend, healthy, at: performance.now() }));
  return { flips, checker };
});
