import { Layout } from "../layout";

/** The sign-in form: an API key (`fmk_…`) or the ADMIN_TOKEN secret. */
export function SignInPage(props: { error?: string }) {
  return (
    <Layout title="Sign in">
      <div class="card signin">
        <h1>Sign in to Foreman</h1>
        <form method="post" action="/dashboard/sign-in">
          <label for="key">API key</label>
          <input id="key" name="key" type="password" autocomplete="off" required placeholder="fmk_…" />
          {props.error ? (
            <p class="error" role="alert" data-testid="error">
              {props.error}
            </p>
          ) : null}
          <button type="submit">Sign in</button>
        </form>
        <p class="muted">An API key from POST /v1/keys, or the ADMIN_TOKEN secret. A viewer key sees everything it may reach and changes nothing.</p>
      </div>
    </Layout>
  );
}
