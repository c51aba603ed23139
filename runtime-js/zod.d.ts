// Types for the built-in `zod` subset (zod.js). Map `zod` to this file with tsconfig `paths`
// when the project has no zod installed; with real zod installed, its own types apply.
// Every schema carries its parsed type in the phantom `_output`, as real zod does, so
// `z.infer<typeof s>` and `defineWorkflow`'s argument inference work the same for both.

/** A JSON Schema object (draft 2020-12), as `toJSONSchema()` returns. */
export type JSONSchema = { [keyword: string]: unknown };

/** A custom error message: the text, or `{ message }`. */
export type ErrorMessage = string | { message?: string };

export interface ZodIssue {
  code: string;
  path: (string | number)[];
  message: string;
}

export declare class ZodError extends Error {
  constructor(issues: ZodIssue[]);
  readonly issues: ZodIssue[];
  /** zod v3's name for `issues`. */
  readonly errors: ZodIssue[];
  flatten(): { formErrors: string[]; fieldErrors: Record<string, string[]> };
}

export type SafeParseResult<T> = { success: true; data: T; error?: undefined } | { success: false; error: ZodError; data?: undefined };

/** The parsed type of a schema: ours, or real zod's (both carry `_output`). */
export type Infer<T> = T extends { readonly _output: infer O } ? O : never;
/** The type a schema accepts before defaults are applied. */
export type Input<T> = T extends { readonly _input: infer I } ? I : never;

export declare class ZodType<Output = unknown, Input = Output> {
  /** Phantom: the parsed type. Never set at run time. */
  readonly _output: Output;
  /** Phantom: the accepted type. Never set at run time. */
  readonly _input: Input;
  readonly description: string | undefined;
  optional(): ZodOptional<this>;
  nullable(): ZodNullable<this>;
  nullish(): ZodOptional<ZodNullable<this>>;
  default(value: Exclude<Output, undefined> | (() => Exclude<Output, undefined>)): ZodDefault<this>;
  describe(description: string): this;
  parse(value: unknown): Output;
  safeParse(value: unknown): SafeParseResult<Output>;
  parseAsync(value: unknown): Promise<Output>;
  safeParseAsync(value: unknown): Promise<SafeParseResult<Output>>;
  isOptional(): boolean;
  isNullable(): boolean;
  toJSONSchema(): JSONSchema;
}

export type ZodTypeAny = ZodType<any, any>;
export type ZodRawShape = { [key: string]: ZodTypeAny };

export declare class ZodString extends ZodType<string> {
  min(length: number, message?: ErrorMessage): ZodString;
  max(length: number, message?: ErrorMessage): ZodString;
  length(length: number, message?: ErrorMessage): ZodString;
  nonempty(message?: ErrorMessage): ZodString;
  email(message?: ErrorMessage): ZodString;
  url(message?: ErrorMessage): ZodString;
  regex(pattern: RegExp, message?: ErrorMessage): ZodString;
}

export declare class ZodNumber extends ZodType<number> {
  int(message?: ErrorMessage): ZodNumber;
  min(value: number, message?: ErrorMessage): ZodNumber;
  gte(value: number, message?: ErrorMessage): ZodNumber;
  gt(value: number, message?: ErrorMessage): ZodNumber;
  max(value: number, message?: ErrorMessage): ZodNumber;
  lte(value: number, message?: ErrorMessage): ZodNumber;
  lt(value: number, message?: ErrorMessage): ZodNumber;
  positive(message?: ErrorMessage): ZodNumber;
  nonnegative(message?: ErrorMessage): ZodNumber;
  negative(message?: ErrorMessage): ZodNumber;
  nonpositive(message?: ErrorMessage): ZodNumber;
}

export declare class ZodBoolean extends ZodType<boolean> {}

export declare class ZodEnum<T extends string> extends ZodType<T> {
  readonly options: T[];
  readonly enum: { readonly [K in T]: K };
}

export type Primitive = string | number | boolean | null;

export declare class ZodLiteral<T extends Primitive> extends ZodType<T> {
  readonly value: T;
}

export declare class ZodArray<T extends ZodTypeAny> extends ZodType<Infer<T>[], Input<T>[]> {
  readonly element: T;
  min(length: number, message?: ErrorMessage): ZodArray<T>;
  max(length: number, message?: ErrorMessage): ZodArray<T>;
  length(length: number, message?: ErrorMessage): ZodArray<T>;
  nonempty(message?: ErrorMessage): ZodArray<T>;
}

type Flatten<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<T> = { [K in keyof T]: undefined extends T[K] ? K : never }[keyof T];
/** Keys whose type admits `undefined` become optional, as in zod. */
type WithOptionalKeys<T> = Flatten<{ [K in Exclude<keyof T, OptionalKeys<T>>]: T[K] } & { [K in OptionalKeys<T>]?: T[K] }>;
export type ObjectOutput<S extends ZodRawShape> = WithOptionalKeys<{ [K in keyof S]: Infer<S[K]> }>;
export type ObjectInput<S extends ZodRawShape> = WithOptionalKeys<{ [K in keyof S]: Input<S[K]> }>;

export declare class ZodObject<S extends ZodRawShape> extends ZodType<ObjectOutput<S>, ObjectInput<S>> {
  readonly shape: S;
  strict(): ZodObject<S>;
  passthrough(): ZodObject<S>;
  strip(): ZodObject<S>;
  partial(): ZodObject<{ [K in keyof S]: ZodOptional<S[K]> }>;
  extend<E extends ZodRawShape>(shape: E): ZodObject<Flatten<Omit<S, keyof E> & E>>;
  merge<O extends ZodRawShape>(other: ZodObject<O>): ZodObject<Flatten<Omit<S, keyof O> & O>>;
  pick<M extends { [K in keyof S]?: true }>(mask: M): ZodObject<Flatten<Pick<S, Extract<keyof S, keyof M>>>>;
  omit<M extends { [K in keyof S]?: true }>(mask: M): ZodObject<Flatten<Omit<S, keyof M>>>;
  keyof(): ZodEnum<Extract<keyof S, string>>;
}

export declare class ZodUnion<T extends readonly ZodTypeAny[]> extends ZodType<Infer<T[number]>, Input<T[number]>> {
  readonly options: T;
}

export declare class ZodRecord<K extends ZodType<string, any>, V extends ZodTypeAny> extends ZodType<
  Partial<Record<Infer<K>, Infer<V>>>,
  Partial<Record<Input<K>, Input<V>>>
> {}

export declare class ZodAny extends ZodType<any> {}
export declare class ZodUnknown extends ZodType<unknown> {}

export declare class ZodOptional<T extends ZodTypeAny> extends ZodType<Infer<T> | undefined, Input<T> | undefined> {
  unwrap(): T;
}

export declare class ZodNullable<T extends ZodTypeAny> extends ZodType<Infer<T> | null, Input<T> | null> {
  unwrap(): T;
}

/** Parsing fills in the default, so the output never lacks it while the input may. */
export declare class ZodDefault<T extends ZodTypeAny> extends ZodType<Exclude<Infer<T>, undefined>, Input<T> | undefined> {
  removeDefault(): T;
}

declare const z: {
  string(): ZodString;
  number(): ZodNumber;
  boolean(): ZodBoolean;
  enum<const T extends readonly [string, ...string[]]>(values: T): ZodEnum<T[number]>;
  literal<const T extends Primitive>(value: T): ZodLiteral<T>;
  array<T extends ZodTypeAny>(element: T): ZodArray<T>;
  object<S extends ZodRawShape>(shape?: S): ZodObject<S>;
  strictObject<S extends ZodRawShape>(shape?: S): ZodObject<S>;
  looseObject<S extends ZodRawShape>(shape?: S): ZodObject<S>;
  union<const T extends readonly [ZodTypeAny, ...ZodTypeAny[]]>(options: T): ZodUnion<T>;
  record<V extends ZodTypeAny>(value: V): ZodRecord<ZodString, V>;
  record<K extends ZodType<string, any>, V extends ZodTypeAny>(key: K, value: V): ZodRecord<K, V>;
  any(): ZodAny;
  unknown(): ZodUnknown;
  optional<T extends ZodTypeAny>(schema: T): ZodOptional<T>;
  nullable<T extends ZodTypeAny>(schema: T): ZodNullable<T>;
  /** As zod v4's `z.toJSONSchema`; the result has no `$schema`. */
  toJSONSchema(schema: ZodTypeAny | JSONSchema): JSONSchema;
  ZodError: typeof ZodError;
};

declare namespace z {
  /** `z.infer<typeof schema>`: the parsed type. */
  export type infer<T extends ZodTypeAny> = Infer<T>;
  export type output<T extends ZodTypeAny> = Infer<T>;
  export type input<T extends ZodTypeAny> = Input<T>;
  export type TypeOf<T extends ZodTypeAny> = Infer<T>;
}

export { z };
export default z;
