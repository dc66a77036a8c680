/**
 * The cluster verdict is a pure function of the votes: the same votes give the same verdicts in any
 * order, on any node; the quorum rules decide as documented.
 */
import { describe, expect, test } from "bun:test";
import { backendKey, clusterVerdicts, isDown, type Vote } from "../../src/cluster/index.ts";
import { mulberry32 } from "../helpers/rng.ts";

const vote = (node: string, address: string, healthy: boolean, pool = "app"): Vote => ({ node, pool, address, healthy, at: "" });

describe("isDown", () => {
  test("majority: a strict majority of the voters, a tie keeps the backend up", () => {
    expect([isDown(1, 1, "majority"), isDown(1, 2, "majority"), isDown(2, 3, "majority"), isDown(2, 4, "majority"), isDown(3, 4, "majority")]).toEqual([
      true, false, true, false, true,
    ]);
  });
  test("any, all and a count (capped at the number of voters); no voters is never down", () => {
    expect([isDown(1, 3, "any"), isDown(0, 3, "any"), isDown(2, 3, "all"), isDown(3, 3, "all")]).toEqual([true, false, false, true]);
    expect([isDown(1, 3, 2), isDown(2, 3, 2), isDown(1, 1, 2), isDown(0, 0, "any"), isDown(0, 0, 1)]).toEqual([false, true, true, false, false]);
  });
});

describe("clusterVerdicts", () => {
  test("a backend is down when most of the nodes that check it say so; others vote on other backends", () => {
    const v = clusterVerdicts([
      vote("lb-1", "10.0.0.1:80", false),
      vote("lb-2", "10.0.0.1:80", false),
      vote("lb-3", "10.0.0.1:80", true),
      vote("lb-1", "10.0.0.2:80", false),
      vote("lb-2", "10.0.0.2:80", true),
      vote("lb-3", "10.0.0.3:80", false),
    ]);
    expect(v.get(backendKey("app", "10.0.0.1:80"))).toEqual({ pool: "app", address: "10.0.0.1:80", healthy: false, down: ["lb-1", "lb-2"], up: ["lb-3"] });
    expect(v.get(backendKey("app", "10.0.0.2:80"))!.healthy).toBe(true);
    expect(v.get(backendKey("app", "10.0.0.3:80"))!.healthy).toBe(false);
    expect(v.has(backendKey("app", "10.0.0.9:80"))).toBe(false);
  });

  test("the rule is per pool", () => {
    const votes = [vote("lb-1", "a:1", false, "strict"), vote("lb-2", "a:1", true, "strict"), vote("lb-1", "a:1", false, "lax"), vote("lb-2", "a:1", true, "lax")];
    const v = clusterVerdicts(votes, (pool) => (pool === "strict" ? "any" : "majority"));
    expect([v.get(backendKey("strict", "a:1"))!.healthy, v.get(backendKey("lax", "a:1"))!.healthy]).toEqual([false, true]);
  });

  test("the same votes in any order give identical verdicts", () => {
    const rng = mulberry32(7);
    const votes: Vote[] = [];
    for (let n = 0; n < 5; n++) for (let b = 0; b < 40; b++) if (rng() < 0.8) votes.push(vote(`lb-${n}`, `10.0.0.${b}:80`, rng() < 0.6));
    const canon = (m: Map<string, unknown>) => JSON.stringify([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    const first = canon(clusterVerdicts(votes));
    for (let i = 0; i < 20; i++) {
      const shuffled = [...votes].sort(() => rng() - 0.5);
      expect(canon(clusterVerdicts(shuffled))).toBe(first);
    }
  });
});
