import type { LogLine } from '@krint/agent';
import { followLogs, LOG_EVENT_INTERVAL_MS, MAX_LOG_EVENT_LINES } from '../../console/logs.js';
import type { ShellEvent } from '../../console/shells.js';
import { builder } from '../builder.js';

const LogLineRef = builder.objectRef<LogLine>('LogLine').implement({
  fields: (t) => ({ stream: t.exposeString('stream'), text: t.exposeString('text'), time: t.exposeString('time') }),
});

const ShellEventRef = builder.objectRef<ShellEvent>('ShellEvent').implement({
  description: '`output` carries terminal data; `exit` ends the session.',
  fields: (t) => ({
    kind: t.exposeString('kind'),
    data: t.string({ nullable: true, resolve: (e) => (e.kind === 'output' ? e.data : null) }),
    exitCode: t.int({ nullable: true, resolve: (e) => (e.kind === 'exit' ? e.exitCode : null) }),
  }),
});

const ShellSessionRef = builder.objectRef<{ id: string }>('ShellSession').implement({ fields: (t) => ({ id: t.exposeID('id') }) });
const AckRef = builder.objectRef<{ ok: true }>('Ack').implement({ fields: (t) => ({ ok: t.exposeBoolean('ok') }) });

builder.subscriptionFields((t) => ({
  logs: t.field({
    description:
      `The container log: the last \`tail\` lines, then new lines as they come. Each event is a list of lines in order: whatever arrived since the previous event. A line on a quiet log is sent at once on its own; while lines keep coming, events go out at most every ${LOG_EVENT_INTERVAL_MS} ms and carry up to ${MAX_LOG_EVENT_LINES.toLocaleString('en')} lines each.`,
    type: [LogLineRef],
    args: { instanceId: t.arg.id({ required: true }), tail: t.arg.int({ defaultValue: 100 }) },
    subscribe: (_r, a, ctx) => followLogs(ctx.services.deps, String(a.instanceId), a.tail ?? 100),
    resolve: (lines) => lines,
  }),
  shell: t.field({
    description: 'Output of a shell opened with `openShell`; the shell ends when this subscription ends.',
    type: ShellEventRef,
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_r, a, ctx) => ctx.services.shells.attach(String(a.sessionId)),
    resolve: (event) => event,
  }),
}));

builder.mutationFields((t) => ({
  openShell: t.field({
    type: ShellSessionRef,
    args: { instanceId: t.arg.id({ required: true }), columns: t.arg.int({ defaultValue: 120 }), rows: t.arg.int({ defaultValue: 30 }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => ({ id: await ctx.services.shells.open(String(a.instanceId), a.columns ?? 120, a.rows ?? 30, ctx.actor) }),
  }),
  shellInput: t.field({
    type: AckRef,
    args: { sessionId: t.arg.id({ required: true }), data: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      await ctx.services.shells.input(String(a.sessionId), a.data);
      return { ok: true as const };
    },
  }),
  shellResize: t.field({
    type: AckRef,
    args: { sessionId: t.arg.id({ required: true }), columns: t.arg.int({ required: true }), rows: t.arg.int({ required: true }) },
    errors: { directResult: true },
    resolve: async (_r, a, ctx) => {
      await ctx.services.shells.resize(String(a.sessionId), a.columns, a.rows);
      return { ok: true as const };
    },
  }),
}));
