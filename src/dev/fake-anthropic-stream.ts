/**
 * The fake Messages API's answer as server-sent events (`"stream": true`), in the real API's
 * event sequence, so streaming clients (the SDK's `messages.stream()`, the Claude Agent SDK) run
 * against it:
 *
 *   message_start (the message with empty content and the input usage), ping,
 *   per content block: content_block_start, content_block_delta… (`text_delta` for text, an
 *   empty then partial `input_json_delta` for tool_use), content_block_stop,
 *   message_delta (stop_reason and the usage so far), message_stop.
 *
 * Text is sent a few words per delta and tool input a few characters per delta, so a client
 * that assumes one delta per block is caught here as it would be by the real API.
 */
import type { ServerResponse } from 'node:http';

type Obj = Record<string, unknown>;

export interface StreamedMessage {
  id: string;
  model: unknown;
  content: Obj[];
  stop_reason: string;
  usage: Obj;
}

/** Words (with their trailing spaces) a text delta carries. */
const WORDS_PER_DELTA = 3;
/** Characters of tool input JSON an input_json_delta carries. */
const JSON_CHARS_PER_DELTA = 16;

function event(res: ServerResponse, data: Obj): void {
  res.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
}

function textChunks(text: string): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [''];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_DELTA) chunks.push(words.slice(i, i + WORDS_PER_DELTA).join(''));
  return chunks;
}

function jsonChunks(json: string): string[] {
  const chunks = [''];
  for (let i = 0; i < json.length; i += JSON_CHARS_PER_DELTA) chunks.push(json.slice(i, i + JSON_CHARS_PER_DELTA));
  return chunks;
}

/** Writes `message` as an event stream and ends the response. */
export function streamMessage(res: ServerResponse, message: StreamedMessage): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const { output_tokens: outputTokens, ...inputUsage } = message.usage;
  event(res, {
    type: 'message_start',
    message: {
      id: message.id,
      type: 'message',
      role: 'assistant',
      model: message.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: 1 },
    },
  });
  event(res, { type: 'ping' });
  message.content.forEach((block, index) => {
    if (block.type === 'tool_use') {
      event(res, { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      for (const partial of jsonChunks(JSON.stringify(block.input ?? {}))) {
        event(res, { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } });
      }
    } else {
      event(res, { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const text of textChunks(String(block.text ?? ''))) event(res, { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    }
    event(res, { type: 'content_block_stop', index });
  });
  event(res, {
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: {
      input_tokens: inputUsage.input_tokens,
      cache_creation_input_tokens: inputUsage.cache_creation_input_tokens,
      cache_read_input_tokens: inputUsage.cache_read_input_tokens,
      output_tokens: outputTokens,
    },
  });
  event(res, { type: 'message_stop' });
  res.end();
}
