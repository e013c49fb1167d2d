import type { IncomingMessage } from 'node:http';
import { GraphQLError, Kind, type ASTVisitor, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { PresentedCredentials } from './authenticator.js';
import type { Caller } from './types.js';

/** Limits on one GraphQL document; generous for the web client, fatal for a query bomb. */
export interface GraphQLLimits {
  /** Nesting of selection sets (fragments expanded). */
  readonly maxDepth: number;
  /** Field selections in the whole document, fragments expanded at every use. */
  readonly maxFields: number;
  /**
   * Tokens the parser reads before it gives up. A parsed document takes about 50 bytes of heap per
   * byte of text, so this, not the body size, bounds what one request can allocate: 15,000 tokens
   * are about 4 MB at the densest (`a1:__typename` repeated), ten tokens for each field allowed.
   */
  readonly maxTokens: number;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = { maxDepth: 12, maxFields: 1500, maxTokens: 15_000 };

/** Largest GraphQL request body (HTTP) and WebSocket message accepted, in bytes. */
export const MAX_GRAPHQL_REQUEST_BYTES = 1024 * 1024;

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_LIMIT' } });
}

/**
 * A validation rule measuring depth and field count of every operation, expanding fragment
 * spreads where they are used (a fragment cycle counts as too deep instead of looping).
 */
export function depthAndCostRule(limits: GraphQLLimits = DEFAULT_GRAPHQL_LIMITS): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    return {
      OperationDefinition(operation) {
        let fields = 0;
        let reported = false;
        const report = (message: string) => {
          if (!reported) context.reportError(limitError(message));
          reported = true;
        };
        const walk = (selectionSet: SelectionSetNode, depth: number, path: ReadonlySet<string>): void => {
          if (reported) return;
          if (depth > limits.maxDepth) return report(`The query is nested ${depth} levels deep; the limit is ${limits.maxDepth}.`);
          for (const selection of selectionSet.selections) {
            if (reported) return;
            if (selection.kind === Kind.FIELD) {
              if (++fields > limits.maxFields) return report(`The query selects more than ${limits.maxFields} fields; ask for less or page through it.`);
              if (selection.selectionSet) walk(selection.selectionSet, depth + 1, path);
            } else if (selection.kind === Kind.INLINE_FRAGMENT) {
              walk(selection.selectionSet, depth, path);
            } else {
              const name = selection.name.value;
              const fragment = fragments.get(name);
              if (!fragment) continue; // reported by the standard rules
              if (path.has(name)) return report(`Fragment "${name}" spreads itself.`);
              walk(fragment.selectionSet, depth, new Set([...path, name]));
            }
          }
        };
        walk(operation.selectionSet, 1, new Set());
      },
    };
  };
}

/** True when the document asks for `__schema` or `__type` anywhere. */
export function asksForIntrospection(document: DocumentNode): boolean {
  let found = false;
  const visit = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (found) return;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__schema' || selection.name.value === '__type') found = true;
        else visit(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition.selectionSet);
  }
  return found;
}

const INTROSPECTION_REFUSED = () =>
  ({ errors: [new GraphQLError('Introspection needs a signed-in caller.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } })] }) as const;

/**
 * Yoga plugin: a token limit in the parser, depth/cost limits for every operation, and no
 * introspection for anonymous callers (checked once the context, and so the caller, exists).
 */
export function useGraphQLGuards<Context extends { readonly caller: Caller | null }>(limits: GraphQLLimits = DEFAULT_GRAPHQL_LIMITS): Plugin<Context> {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => parseFn(source, { ...options, maxTokens: limits.maxTokens }));
    },
    onValidate({ addValidationRule }) {
      addValidationRule(depthAndCostRule(limits));
    },
    onExecute({ args, setResultAndStopExecution }) {
      if ((args.contextValue as Context).caller === null && asksForIntrospection(args.document)) setResultAndStopExecution(INTROSPECTION_REFUSED());
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if ((args.contextValue as Context).caller === null && asksForIntrospection(args.document)) setResultAndStopExecution(INTROSPECTION_REFUSED());
    },
  };
}

/** Largest document text kept in the parse cache, and the most text the cache holds in all. */
export const PARSE_CACHE_LIMITS = { entryBytes: 16 * 1024, totalBytes: 512 * 1024, entries: 1000 } as const;

/**
 * Yoga's parse and validation caches, bounded by the text of the documents they hold rather than
 * only by their count: yoga's default keeps 1,000 documents of any size, and a parsed document
 * takes about 50 times its text in heap, so 1,000 distinct 1 MB documents would need 50 GB. The
 * web client's and GraphiQL's documents are a few KiB each and all fit; a larger one is parsed
 * every time it is sent. Validation results are cached per parsed document (yoga's weak map), so
 * they go when their document leaves the cache.
 */
export function boundedParserCache(limits: typeof PARSE_CACHE_LIMITS = PARSE_CACHE_LIMITS): { documentCache: LRUCache<string, DocumentNode>; errorCache: LRUCache<string, object>; validationCache: true } {
  const bySourceText = <T extends object>() =>
    new LRUCache<string, T>({ max: limits.entries, maxSize: limits.totalBytes, maxEntrySize: limits.entryBytes, sizeCalculation: (_value, key) => Math.max(1, key.length) });
  return { documentCache: bySourceText<DocumentNode>(), errorCache: bySourceText<object>(), validationCache: true };
}

/**
 * The credentials of a GraphQL operation from yoga's initial context: the Fetch request for
 * HTTP and SSE, or the upgrade request plus `connectionParams` for graphql-ws.
 */
export function graphqlCredentials(initial: { request?: Request; req?: IncomingMessage; connectionParams?: Readonly<Record<string, unknown>>; extra?: unknown }): PresentedCredentials {
  if (initial.extra !== undefined && initial.req) {
    const req = initial.req;
    return {
      method: 'WS',
      header: (name) => {
        const value = req.headers[name];
        return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
      },
      connectionParams: initial.connectionParams ?? {},
    };
  }
  const request = initial.request;
  if (!request) return { method: 'POST', header: () => null };
  return { method: request.method, header: (name) => request.headers.get(name) };
}
