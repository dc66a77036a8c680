/** HTTP/2 codec figures; the bench lives with the codec's tests (test/h2/bench.ts). */
export { run } from "../h2/bench.ts";
