import pkg from "../../package.json" with { type: "json" };

/** `fulcrum version`: prints the version and the runtime it runs on. */
export function versionCommand(): number {
  console.log(`fulcrum ${pkg.version} (bun ${Bun.version})`);
  return 0;
}
