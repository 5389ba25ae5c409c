// Header field names as LuaSocket writes them (its socket/headers.lua, `canonic`): the names it
// knows get their usual capitalization ("content-type" -> "Content-Type", "mime-version" ->
// "MIME-Version"), any other name is written as given (lower case, since both clients lower
// header names first). The http and smtp clients write every header name through canonic().

/** Known names whose canonical form capitalizes each dash-separated word. */
const WORDS = new Set(
  (
    "accept accept-charset accept-encoding accept-language accept-ranges action age allow alternate-recipient " +
    "arrival-date authorization bcc cache-control cc comments connection content-description content-disposition " +
    "content-encoding content-language content-length content-location content-range content-transfer-encoding " +
    "content-type cookie date diagnostic-code expect expires final-recipient from host if-match if-modified-since " +
    "if-none-match if-range if-unmodified-since in-reply-to keywords last-attempt-date last-modified location " +
    "max-forwards original-recipient pragma proxy-authenticate proxy-authorization range received references referer " +
    "reply-to resent-bcc resent-cc resent-date resent-from resent-reply-to resent-sender resent-to retry-after " +
    "return-path sender server status subject to trailer transfer-encoding upgrade user-agent vary via warning " +
    "will-retry-until x-mailer"
  ).split(" "),
);

/** Known names with other capitals. */
const SPECIAL: Record<string, string> = {
  "content-id": "Content-ID",
  "content-md5": "Content-MD5",
  "dsn-gateway": "DSN-Gateway",
  etag: "ETag",
  "final-log-id": "Final-Log-ID",
  "message-id": "Message-ID",
  "mime-version": "MIME-Version",
  "original-envelope-id": "Original-Envelope-ID",
  "received-from-mta": "Received-From-MTA",
  "remote-mta": "Remote-MTA",
  "reporting-mta": "Reporting-MTA",
  "resent-message-id": "Resent-Message-ID",
  "smtp-remote-recipient": "SMTP-Remote-Recipient",
  te: "TE",
  "www-authenticate": "WWW-Authenticate",
};

/** `name` (lower case) as LuaSocket writes it: "from" -> "From"; "x-mine" stays "x-mine". */
export function canonic(name: string): string {
  if (Object.prototype.hasOwnProperty.call(SPECIAL, name)) return SPECIAL[name]!;
  if (WORDS.has(name)) return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
  return name;
}
