import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes migrations/ from src/db/schema.ts; wrangler applies them.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
