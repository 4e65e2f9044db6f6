/**
 * An HTTP client that behaves like a browser for the server-rendered pages: it keeps cookies,
 * does not follow redirects on its own (so tests can see them), and reads the CSRF token
 * from the last page it received.
 */
export interface Reply {
  status: number;
  text: string;
  location: string | null;
  headers: Headers;
}

/**
 * The body as text; a live stream (Server-Sent Events) never ends, so what it sends in its
 * first second is taken and the stream is closed.
 */
async function readBody(res: Response): Promise<string> {
  if (!res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now()))),
    ]);
    if (!chunk || chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}

export class WebClient {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line) || value === '')
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async request(
    method: string,
    path: string,
    body?: BodyInit,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const res = await fetch(this.base + path, {
      method,
      body,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.remember(res);
    const text = await readBody(res);
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: res.status, text, location: res.headers.get('location'), headers: res.headers };
  }

  get(path: string): Promise<Reply> {
    return this.request('GET', path);
  }

  /** Follows redirects like a browser would, returning the final page. */
  async follow(reply: Reply): Promise<Reply> {
    let r = reply;
    for (let i = 0; i < 5 && r.location; i++) r = await this.get(r.location);
    return r;
  }

  /** Posts a form; the CSRF token is added unless `csrf: false` (or another token) is given. */
  async post(
    path: string,
    form: Record<string, string | string[]>,
    opts: { csrf?: string | false; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    if (!this.csrf && opts.csrf === undefined) await this.get('/login');
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form))
      for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
    if (opts.csrf !== false) params.set('_csrf', opts.csrf ?? this.csrf);
    return this.request('POST', path, params, {
      'content-type': 'application/x-www-form-urlencoded',
      ...opts.headers,
    });
  }

  async postMultipart(path: string, form: FormData): Promise<Reply> {
    form.set('_csrf', this.csrf);
    return this.request('POST', path, form);
  }

  async login(username: string, password: string): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { username, password });
  }
}
