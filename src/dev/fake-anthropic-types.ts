// The fake Messages API's public types, free of Node imports so Workers-side tests can use them.

export type Usage = {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard';
};

export type FakeStep =
  | { type: 'text'; text: string; usage?: Partial<Usage>; delayMs?: number; stopReason?: 'end_turn' | 'max_tokens' }
  | {
      type: 'tool_use';
      calls: Array<{ name: string; input: unknown; id?: string }>;
      text?: string;
      usage?: Partial<Usage>;
      delayMs?: number;
    }
  | {
      type: 'error';
      status: number;
      errorType?: string;
      message?: string;
      /** Seconds, sent as the `retry-after` header. */
      retryAfter?: number;
      delayMs?: number;
    };

export type RecordedRequest = {
  receivedAt: number;
  headers: { 'x-api-key'?: string; authorization?: string; 'anthropic-version'?: string; 'anthropic-beta'?: string };
  /** The parsed JSON body, or null when it was not JSON (or too large). */
  body: unknown;
};

export type FakeAnthropic = { url: string; port: number; close(): Promise<void> };


export type FakeAnthropicOptions = {
  port?: number;
  host?: string;
  /** One line per request answered. */
  log?: (line: string) => void;
  /** The banking77 directory whose questions get their intent's facts (default: the shared data's); false for none. */
  knownQuestions?: string | false;
  /** Where the one line saying the banking77 data is missing goes (default console.warn). */
  warn?: (line: string) => void;
};
