import type { Child } from "hono/jsx";
import type { Principal } from "../http/context";

/** What a page's frame needs: the signed-in key (absent on the sign-in page) and its CSRF token. */
export interface Frame {
  title: string;
  principal?: Principal;
  csrf?: string;
}

/** The frame of every dashboard page: one stylesheet, one deferred script, no inline code. */
export function Layout(props: Frame & { children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Foreman`}</title>
        <link rel="stylesheet" href="/dashboard/assets/app.css" />
        <script src="/dashboard/assets/app.js" defer></script>
      </head>
      <body>
        {props.principal && props.csrf !== undefined ? (
          <header class="top">
            <a class="brand" href="/dashboard/agents">
              Foreman
            </a>
            <nav>
              <a href="/dashboard/agents">Agents</a>
              <a href="/dashboard/api">API</a>
            </nav>
            <span class="who" data-testid="who">
              {props.principal.keyId} · {props.principal.role}
            </span>
            <form method="post" action="/dashboard/sign-out" class="inline">
              <input type="hidden" name="_csrf" value={props.csrf} />
              <button type="submit" class="quiet">
                Sign out
              </button>
            </form>
          </header>
        ) : null}
        <main>{props.children}</main>
      </body>
    </html>
  );
}

/** An error page: what went wrong, in the envelope's words, and the request id to report. */
export function ErrorPage(props: Frame & { status: number; message: string; requestId: string }) {
  return (
    <Layout {...props}>
      <div class="card">
        <h1>{props.title}</h1>
        <p class="error" data-testid="error">
          {props.message}
        </p>
        <p class="muted">
          {props.status} · request {props.requestId}
        </p>
        <p>
          <a href="/dashboard/agents">Back to the agents</a>
        </p>
      </div>
    </Layout>
  );
}
