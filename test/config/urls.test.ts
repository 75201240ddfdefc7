import { describe, expect, it } from "vitest";
import { parseAgentConfig, privateHostReason, urlRisk } from "../../src/config";

const mcpUrlIssues = (url: string, allowPrivateUrls = false) => {
  const result = parseAgentConfig({ tools: { mcpServers: { github: { url } } } }, { allowPrivateUrls });
  return result.ok ? [] : result.issues;
};

describe("URLs the worker may be made to call", () => {
  it.each([
    "http://127.0.0.1/",
    "http://127.1.2.3/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::]/",
    "http://0.0.0.0/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://localhost:8787/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://metadata.google.internal/",
    "http://printer.local/",
    "http://intranet/",
    "http://255.255.255.255/",
  ])("refuses %s", (url) => {
    expect(urlRisk(url.replace("http:", "https:"))).toMatch(/^must name a public host/);
  });

  it.each(["https://mcp.example.com/mcp", "https://8.8.8.8/", "https://[2606:4700::1111]/", "https://172.32.0.1/", "https://hooks.slack.com/services/T/B/x"])(
    "accepts %s",
    (url) => {
      expect(urlRisk(url)).toBeNull();
    },
  );

  it("refuses plain http to a public host, since headers and webhook tokens would travel in the clear", () => {
    expect(urlRisk("http://mcp.example.com/mcp")).toMatch(/^must be https/);
  });

  it("names the host as the URL parser reads it, so a disguised address is recognisable", () => {
    expect(urlRisk("https://0x7f.1/")).toContain('"127.0.0.1"');
    expect(privateHostReason("[::ffff:7f00:1]")).toBe("is a private or reserved address");
  });

  it("allows private hosts and http with ALLOW_PRIVATE_URLS", () => {
    expect(urlRisk("http://127.0.0.1:9100/mcp", { allowPrivateUrls: true })).toBeNull();
  });
});

describe("MCP server URLs in config", () => {
  it("refuses a private address with the field path and the fix", () => {
    expect(mcpUrlIssues("http://169.254.169.254/")).toEqual([
      { path: "tools.mcpServers.github.url", message: expect.stringContaining('"169.254.169.254" is a private or reserved address') as string },
    ]);
    expect(mcpUrlIssues("http://169.254.169.254/")[0]?.message).toContain("use the server's public https URL");
  });

  it("refuses plain http and accepts https", () => {
    expect(mcpUrlIssues("http://mcp.example.com/")[0]?.message).toMatch(/must be https/);
    expect(mcpUrlIssues("https://mcp.example.com/")).toEqual([]);
  });

  it("accepts a loopback server when private URLs are allowed", () => {
    expect(mcpUrlIssues("http://127.0.0.1:9100/mcp", true)).toEqual([]);
  });
});
