// URL parsing as LuaSocket's url.lua does it, shared by the http and ftp clients.

/** The parts of a URL, each absent when the URL has none. */
interface UrlParts {
  scheme?: string;
  authority?: string;
  userinfo?: string;
  user?: string;
  password?: string;
  host?: string;
  port?: string;
  path?: string;
  params?: string;
  query?: string;
  fragment?: string;
}

/** LuaSocket's url.parse: `scheme://user:password@host:port/path;params?query#fragment`. */
export function parseUrl(url: string): UrlParts {
  const p: UrlParts = {};
  let u = url.replace(/\s/g, "");
  let m = /#(.*)$/.exec(u);
  if (m) {
    p.fragment = m[1];
    u = u.slice(0, m.index);
  }
  m = /^([a-zA-Z][a-zA-Z0-9+\-.]*):/.exec(u);
  if (m) {
    p.scheme = m[1];
    u = u.slice(m[0].length);
  }
  m = /^\/\/([^/?;]*)/.exec(u);
  if (m) {
    p.authority = m[1];
    u = u.slice(m[0].length);
  }
  m = /\?(.*)$/.exec(u);
  if (m) {
    p.query = m[1];
    u = u.slice(0, m.index);
  }
  m = /;(.*)$/.exec(u);
  if (m) {
    p.params = m[1];
    u = u.slice(0, m.index);
  }
  if (u !== "") p.path = u;
  if (p.authority === undefined) return p;
  let a = p.authority;
  m = /^([^@]*)@/.exec(a);
  if (m) {
    p.userinfo = m[1];
    a = a.slice(m[0].length);
    const i = p.userinfo!.indexOf(":");
    if (i === -1) p.user = p.userinfo;
    else {
      p.user = p.userinfo!.slice(0, i);
      p.password = p.userinfo!.slice(i + 1);
    }
  }
  m = /^\[([^\]]*)\](?::(\d*))?$/.exec(a) ?? /^([^:]*)(?::(\d*))?$/.exec(a);
  if (m) {
    p.host = m[1];
    if (m[2] !== undefined) p.port = m[2];
  } else {
    p.host = a;
  }
  return p;
}
