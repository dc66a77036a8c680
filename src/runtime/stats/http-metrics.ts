/**
 * The HTTP traffic families, one set per level: `fulcrum_listener_http_*{listener}`,
 * `fulcrum_route_http_*{listener,route}` and `fulcrum_pool_http_*{pool}` (the backend level is in
 * metrics.ts: its bytes and load count L4 connections too). Each level is a family of its own, so
 * `sum(fulcrum_listener_http_requests_total)` counts every request once. Values are copied from
 * the TrafficStats counters at scrape time: collecting is a function of those counters alone.
 */
import type { Registry } from "../../obs/index.ts";
import { STATUS_CLASSES, type L7Stats, type StatsBook, type TrafficStats } from "./traffic-stats.ts";

type LevelLabels = Record<string, string>;
type EachStats = (fn: (labels: LevelLabels, s: TrafficStats) => void) => void;

/** Visits every named TrafficStats of `book`, labelled by `labelsOf(name)`. */
function visit(book: StatsBook, labelsOf: (name: string) => LevelLabels): EachStats {
  return (fn) => {
    for (const [name, s] of book.entries()) fn(labelsOf(name), s);
  };
}

/** Route stats are kept as "listener/route" (names cannot hold a "/"): two labels. */
function routeLabels(key: string): LevelLabels {
  const slash = key.indexOf("/");
  return { listener: key.slice(0, slash), route: key.slice(slash + 1) };
}

/** Registers the five HTTP families of each of the listener, route and pool levels. */
export function registerHttpLevelMetrics(metrics: Registry, l7: L7Stats): void {
  registerLevel(metrics, "listener", "listener", ["listener"], visit(l7.listeners, (listener) => ({ listener })));
  registerLevel(metrics, "route", "route (labels listener, route)", ["listener", "route"], visit(l7.routes, routeLabels));
  registerLevel(metrics, "pool", "pool (requests routed to it, answered by a backend or refused)", ["pool"], visit(l7.pools, (pool) => ({ pool })));
}

function registerLevel(metrics: Registry, level: string, per: string, labels: string[], each: EachStats): void {
  const name = (what: string) => `fulcrum_${level}_http_${what}`;
  metrics.counter(name("requests_total"), `HTTP requests per ${per}, by status class of the response (none = no response was sent)`, [...labels, "class"], (c) =>
    each((l, s) => s.byClass.forEach((v, i) => v > 0 && c.set(v, { ...l, class: STATUS_CLASSES[i]! }))));
  metrics.gauge(name("active_requests"), `HTTP requests in flight per ${per}`, labels, (g) =>
    each((l, s) => g.set(s.active, l)));
  metrics.counter(name("bytes_total"), `HTTP body bytes per ${per}, by direction (in = from the client)`, [...labels, "direction"], (c) =>
    each((l, s) => {
      c.set(s.bytesIn, { ...l, direction: "in" });
      c.set(s.bytesOut, { ...l, direction: "out" });
    }));
  metrics.counter(name("retries_total"), `Retried attempts of HTTP requests per ${per}`, labels, (c) =>
    each((l, s) => c.set(s.retries, l)));
  metrics.counter(name("errors_total"), `HTTP requests per ${per} that ended with an x-fulcrum-error, by code`, [...labels, "code"], (c) =>
    each((l, s) => {
      for (const [code, v] of s.errors) c.set(v, { ...l, code });
    }));
}
