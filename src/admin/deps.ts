/** What every admin route handler works with: the store, the write path, the snapshot holder, metrics, the runtime view. */
import type { SnapshotHolder } from "../config/index.ts";
import type { ConfigControl } from "../control/index.ts";
import type { Counter, Histogram } from "../obs/index.ts";
import type { Store } from "../store/index.ts";
import type { RuntimeView } from "../status.ts";

/** The admin API's own metrics, registered on the shared registry by createAdminApp. */
export interface AdminMetrics {
  /** fulcrum_config_writes_total{result="applied"|"unchanged"|"rejected"|"dry_run"} */
  writes: Counter;
  /** fulcrum_admin_requests_total{method,code} */
  requests: Counter;
  /** fulcrum_admin_request_duration_seconds{method} */
  duration: Histogram;
}

/** What /readyz reports: ready, draining (stopping), or not ready yet. */
export type Readiness = "ready" | "draining" | "not_ready";

/** Dependencies shared by the route modules. Reads go to `store`; every write goes through `control`. */
export interface AdminDeps {
  store: Store;
  control: ConfigControl;
  holder: SnapshotHolder;
  runtime: RuntimeView;
  readiness: () => Readiness;
  metrics: AdminMetrics;
}
