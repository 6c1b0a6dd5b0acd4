import type { z } from 'zod';

/*
 * How a contract method is defined: once, in its domain's file, with everything the engine needs to know about it.
 * index.ts derives Api, ApiArgs, ApiResults, apiSchemas and methodPermission from these definitions (by keyof), so a
 * method without a schema, a permission, a result type or a doc does not compile.
 */

/** What a caller must be granted to call a method; main/security/access.ts says which roles grant which. */
export type Permission = 'info' | 'read' | 'ingest' | 'predict' | 'write' | 'admin';

declare const resultType: unique symbol;

/** A method's result type, carried by the compiler only: at run time it is an empty object nobody reads. */
export interface Returns<T> {
  readonly [resultType]: T;
}

/** Names a method's result type: `result: returns<AliasMove>()`. */
export function returns<T>(): Returns<T> {
  return {} as Returns<T>;
}

/** One method of the API. */
export interface MethodDefinition {
  /** One line: what the method does (the contract's public doc). */
  readonly doc: string;
  /** The arguments' zod schema: dispatch() validates every call with it. */
  readonly args: z.ZodType;
  /** What the caller must be granted (checked before the arguments). */
  readonly permission: Permission;
  /**
   * Whether a call may change the box's state (a replica refuses those). Unset: follows the permission (info, read
   * and predict change nothing but the prediction log; the rest may); an admin method that only reads says false.
   */
  readonly changesState?: boolean;
  /**
   * A hand-written check, for a method on the hot path (a single-row prediction): answers the arguments as the
   * handler is to get them (a copy, each field read once) only where `args` accepts them as they are, and undefined
   * otherwise; dispatch() skips zod for the first and sends the rest to zod, which decides (and words the error). It
   * must never pass what zod refuses: test/unit/contract-fast-check holds each against its schema on hostile and
   * random arguments.
   */
  readonly accepts?: (args: unknown) => unknown;
  readonly result: Returns<unknown>;
}

/** A domain's methods, keyed `domain.verb`; the identity function, there to check each definition and keep its types. */
export function defineMethods<const M extends Record<string, MethodDefinition>>(methods: M): M {
  return methods;
}

/** The result type a definition names. */
export type ResultOf<D> = D extends { readonly result: Returns<infer R> } ? R : never;
