import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

/** `npm pack` once for every package test: it builds dist/ (prepack), which takes a while. */
export default function setup(project: TestProject) {
  const repo = path.resolve(import.meta.dirname, "../..");
  const dir = mkdtempSync(path.join(tmpdir(), "foreman-packed-"));
  // `npm pack` runs `prepack`, which builds dist/ (and says so on stdout, before the JSON).
  const output = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const packed = JSON.parse(output.slice(output.indexOf("[\n"))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const [tarball] = packed;
  if (!tarball) throw new Error("npm pack produced nothing");
  project.provide("packedTarball", { path: path.join(dir, tarball.filename), files: tarball.files.map((f) => f.path) });
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The package as `npm pack` wrote it for this run: the tarball's path and the files in it. */
    packedTarball: { path: string; files: string[] };
  }
}
