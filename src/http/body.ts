import type { z } from "zod";
import { AppError } from "../core/errors";

/**
 * Reads a request body as text, refusing more than `maxBytes` without buffering it all:
 * a declared Content-Length over the limit is refused before reading, and a stream that
 * runs past it is cut off.
 */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError("invalid_request", "body is not valid UTF-8");
  }
}

/** Parses JSON, answering 400 with a plain message when it is not. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "body is not valid JSON");
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `body is larger than ${maxBytes} bytes`);
}

/** Validates a JSON body with a zod schema; 400 with `path: message` issues otherwise. */
export function parseBody<T extends z.ZodType>(schema: T, json: unknown): z.output<T> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.length ? i.path.join(".") : "(root)", message: i.message }));
  throw new AppError("invalid_request", issues.map((i) => `${i.path}: ${i.message}`).join("; "), { details: { issues } });
}
