import type { Engine, EnginePlugin, EngineVersion } from '@krint/engine-sdk';
import { CAPABILITY_NAMES } from '@krint/engine-sdk';
import { builder } from '../builder.js';

const EngineVersionRef = builder.objectRef<EngineVersion>('EngineVersion').implement({
  fields: (t) => ({
    version: t.exposeString('version'),
    image: t.exposeString('image'),
    isDefault: t.boolean({ resolve: (v) => v.isDefault === true }),
  }),
});

const CapabilitiesRef = builder.objectRef<Engine['capabilities']>('EngineCapabilities').implement({
  description: 'What the engine can do; clients show or hide features from these flags.',
  fields: (t) => Object.fromEntries(CAPABILITY_NAMES.map((name) => [name, t.exposeBoolean(name)])) as Record<(typeof CAPABILITY_NAMES)[number], ReturnType<typeof t.exposeBoolean>>,
});

const TermsRef = builder.objectRef<Engine['terms']>('EngineTerms').implement({
  description: "The engine's own words: database/table/row, and the query console language.",
  fields: (t) => ({
    database: t.exposeString('database'),
    table: t.exposeString('table'),
    row: t.exposeString('row'),
    queryLanguage: t.exposeString('queryLanguage', { nullable: true }),
  }),
});

const PluginRef = builder.objectRef<EnginePlugin>('EnginePlugin').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    label: t.exposeString('label'),
    description: t.exposeString('description'),
  }),
});

export const EngineRef = builder.objectRef<Engine>('Engine').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    displayName: t.exposeString('displayName'),
    description: t.exposeString('description'),
    versions: t.field({ type: [EngineVersionRef], resolve: (e) => [...e.versions] }),
    defaultVersion: t.string({ resolve: (e) => (e.versions.find((v) => v.isDefault) ?? e.versions[0])!.version }),
    capabilities: t.field({ type: CapabilitiesRef, resolve: (e) => e.capabilities }),
    terms: t.field({ type: TermsRef, resolve: (e) => e.terms }),
    plugins: t.field({ type: [PluginRef], resolve: (e) => [...e.plugins] }),
    rootUser: t.exposeString('rootUser'),
    defaultDatabase: t.exposeString('defaultDatabase'),
    backupFileExtension: t.string({ nullable: true, resolve: (e) => e.backup?.fileExtension ?? null }),
  }),
});

builder.queryFields((t) => ({
  engines: t.field({
    description: 'Every engine this control plane can run.',
    type: [EngineRef],
    resolve: (_root, _args, ctx) => ctx.services.deps.engines.list(),
  }),
  engine: t.field({
    type: EngineRef,
    args: { id: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.deps.engines.get(args.id),
  }),
}));
