/**
 * drizzle-kit configuration: `bunx drizzle-kit generate` writes SQL migrations for
 * src/store/schema.ts into src/store/migrations/, which the store embeds at bundle time.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema.ts",
  out: "./src/store/migrations",
});
