import { InvalidInputError } from '@krint/engine-sdk';

/** Longest console input accepted, in characters. */
export const MAX_COMMAND_TEXT = 64 * 1024;
const MAX_ARGUMENTS = 10_000;

/**
 * Splits one console line into arguments the way `redis-cli` does: whitespace separates words,
 * "double quotes" understand `\n \r \t \b \a \\ \" \xHH`, 'single quotes' are literal except `\'`.
 * A quote must be followed by whitespace or the end, so `"a"b` is an error rather than a guess.
 */
export function parseCommandLine(text: string): string[] {
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidInputError('Type a Redis command, e.g. GET mykey.', 'text');
  if (text.length > MAX_COMMAND_TEXT) {
    throw new InvalidInputError(`The command is ${text.length} characters long; the console accepts at most ${MAX_COMMAND_TEXT}.`, 'text');
  }
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    const quote = text[i] === '"' || text[i] === "'" ? text[i] : null;
    if (quote === null) {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '"' || text[i] === "'") {
          throw new InvalidInputError(`Unexpected quote at position ${i + 1}; quote the whole argument.`, 'text');
        }
        word += text[i++];
      }
    } else {
      const start = i++;
      let closed = false;
      while (i < text.length) {
        const ch = text[i]!;
        if (ch === quote) {
          closed = true;
          i++;
          break;
        }
        if (ch === '\\' && i + 1 < text.length) {
          const next = text[i + 1]!;
          if (quote === "'") {
            word += next === "'" ? "'" : `\\${next}`;
            i += 2;
            continue;
          }
          const hex = /^x([0-9a-fA-F]{2})/.exec(text.slice(i + 1, i + 4));
          if (hex) {
            word += String.fromCharCode(parseInt(hex[1]!, 16));
            i += 4;
            continue;
          }
          word += ESCAPES[next] ?? next;
          i += 2;
          continue;
        }
        word += ch;
        i++;
      }
      if (!closed) throw new InvalidInputError(`The quote opened at position ${start + 1} is never closed.`, 'text');
      if (i < text.length && !/\s/.test(text[i]!)) {
        throw new InvalidInputError(`A closing quote must be followed by a space (position ${i + 1}).`, 'text');
      }
    }
    args.push(word);
    if (args.length > MAX_ARGUMENTS) throw new InvalidInputError(`The command has more than ${MAX_ARGUMENTS} arguments.`, 'text');
  }
  return args;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\u0007', '\\': '\\', '"': '"' };

/**
 * Commands the console refuses, with the reason shown to the user. The console is for looking at
 * and changing keys; whole-server operations have their own, guarded paths in Krint (drop a DB,
 * users, backups), and connection-state commands would break the session's per-DB connections.
 */
const REFUSED: Readonly<Record<string, string>> = {
  FLUSHALL: 'it deletes every key in every DB number; drop DB numbers one at a time from the database list instead',
  FLUSHDB: 'it deletes every key of the DB number; use "drop database" in the database list, which asks for confirmation',
  SHUTDOWN: 'it stops the server; stop the instance from Krint instead',
  DEBUG: 'it can crash the server or change its data outside the normal paths',
  MONITOR: 'it streams every command of every client and never returns',
  SYNC: 'it starts a replication stream; use Krint backups instead',
  PSYNC: 'it starts a replication stream; use Krint backups instead',
  REPLICAOF: 'it turns the instance into a replica and deletes its data',
  SLAVEOF: 'it turns the instance into a replica and deletes its data',
  MIGRATE: 'it moves keys to another server',
  MODULE: 'it loads code into the server',
  SAVE: 'it blocks the server while writing a snapshot; Krint backups do not block',
  KEYS: 'it blocks the server while it walks every key; browse the DB number (SCAN-based) or run SCAN instead',
  SELECT: 'the console runs in the DB number chosen above it; choose another DB number there',
  SWAPDB: 'it exchanges whole DB numbers',
  MOVE: 'it moves a key to another DB number outside the editor',
  AUTH: 'the console is already signed in as the instance user',
  HELLO: 'it changes the protocol and credentials of the console connection',
  RESET: 'it resets the console connection',
  QUIT: 'the console connection is managed by Krint',
  MULTI: 'transactions span several console commands; run each command on its own',
  EXEC: 'transactions span several console commands; run each command on its own',
  DISCARD: 'transactions span several console commands; run each command on its own',
  WATCH: 'transactions span several console commands; run each command on its own',
  UNWATCH: 'transactions span several console commands; run each command on its own',
  SUBSCRIBE: 'subscriptions never return a result',
  PSUBSCRIBE: 'subscriptions never return a result',
  SSUBSCRIBE: 'subscriptions never return a result',
  EVAL: 'scripts can run any command, including the ones the console refuses',
  EVALSHA: 'scripts can run any command, including the ones the console refuses',
  EVAL_RO: 'scripts can run any command, including the ones the console refuses',
  EVALSHA_RO: 'scripts can run any command, including the ones the console refuses',
  FCALL: 'functions can run any command, including the ones the console refuses',
  FCALL_RO: 'functions can run any command, including the ones the console refuses',
  SCRIPT: 'it manages server-side scripts',
  FAILOVER: 'it changes replication roles',
  CLUSTER: 'Krint runs single servers, not clusters',
  LATENCY: 'it changes server monitoring state',
  BLPOP: 'it blocks until data arrives',
  BRPOP: 'it blocks until data arrives',
  BLMOVE: 'it blocks until data arrives',
  BRPOPLPUSH: 'it blocks until data arrives',
  BLMPOP: 'it blocks until data arrives',
  BZPOPMIN: 'it blocks until data arrives',
  BZPOPMAX: 'it blocks until data arrives',
  BZMPOP: 'it blocks until data arrives',
  WAIT: 'it blocks until replicas acknowledge',
  WAITAOF: 'it blocks until the append-only file is synced',
};

/** Subcommands allowed for commands that are otherwise administrative. */
const ALLOWED_SUBCOMMANDS: Readonly<Record<string, { readonly allowed: readonly string[]; readonly reason: string }>> = {
  CONFIG: { allowed: ['GET', 'HELP'], reason: 'the server configuration is managed by Krint; CONFIG GET is allowed' },
  ACL: { allowed: ['WHOAMI', 'CAT', 'USERS', 'HELP'], reason: 'users are managed on the Users page; ACL WHOAMI, CAT and USERS are allowed' },
  CLIENT: { allowed: ['ID', 'INFO', 'LIST', 'GETNAME', 'HELP'], reason: 'it changes other connections; CLIENT ID, INFO, LIST and GETNAME are allowed' },
  FUNCTION: { allowed: ['LIST', 'STATS', 'HELP'], reason: 'it manages server-side code; FUNCTION LIST and STATS are allowed' },
};

/**
 * Options that make an otherwise harmless command do what {@link REFUSED} keeps out of the console.
 * `after` is the number of fixed arguments before the options start (keys may be named like an
 * option). The guard against leaving the chosen DB number covers every command that names another
 * one: SELECT, MOVE and SWAPDB above, MIGRATE (its destination DB), and COPY's DB option here.
 */
const REFUSED_OPTIONS: Readonly<Record<string, Readonly<Record<string, { readonly after: number; readonly reason: string }>>>> = {
  COPY: { DB: { after: 2, reason: 'it copies the key into another DB number outside the editor; leave out DB to copy within the DB number chosen above it' } },
  XREAD: { BLOCK: { after: 0, reason: 'it blocks until data arrives; leave out BLOCK' } },
  XREADGROUP: { BLOCK: { after: 0, reason: 'it blocks until data arrives; leave out BLOCK' } },
};

/** Returns why the console refuses `argv`, or `null` when it may run. */
export function refusalReason(argv: readonly string[]): string | null {
  const name = (argv[0] ?? '').toUpperCase();
  const reason = REFUSED[name];
  if (reason) return `${name} is not allowed in the console: ${reason}.`;
  const sub = ALLOWED_SUBCOMMANDS[name];
  if (sub) {
    const subcommand = (argv[1] ?? '').toUpperCase();
    if (!sub.allowed.includes(subcommand)) {
      return `${name} ${subcommand || '(no subcommand)'} is not allowed in the console: ${sub.reason}.`;
    }
  }
  for (const [option, refusal] of Object.entries(REFUSED_OPTIONS[name] ?? {})) {
    // Options follow the command's fixed arguments; a key may itself be called "DB" or "BLOCK".
    if (argv.slice(refusal.after + 1).some((arg) => arg.toUpperCase() === option)) {
      return `${name} with ${option} is not allowed in the console: ${refusal.reason}.`;
    }
  }
  return null;
}

/** Parses console text and checks it against the refusal list; throws InvalidInputError when refused. */
export function parseConsoleCommand(text: string): string[] {
  const argv = parseCommandLine(text);
  const reason = refusalReason(argv);
  if (reason) throw new InvalidInputError(reason, 'text');
  return argv;
}
