import { runSelectorContract } from "./selector.contract.ts";

runSelectorContract({ name: "round_robin", algorithm: "round_robin" });
