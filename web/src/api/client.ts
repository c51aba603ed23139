// `fetch` for the API: the bearer token, the `{ data }` envelope, errors as `ApiError`.

import { clearSession, getToken } from "./session";

/** An error answer (`{ error: { code, message, details? } }`) or a failure to reach the server. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string[];
  readonly currentStatus?: string;

  constructor(status: number, code: string, message: string, details: string[] = [], currentStatus?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.currentStatus = currentStatus;
  }
}

interface ErrorEnvelope {
  error?: { code?: string; message?: string; details?: unknown; current_status?: string };
}

/** Turns an error response body into an `ApiError`. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const err = (body as ErrorEnvelope | null)?.error;
  if (err && typeof err.message === "string") {
    const details = Array.isArray(err.details) ? err.details.map(String) : [];
    return new ApiError(status, err.code ?? "error", err.message, details, err.current_status);
  }
  if (status === 413) return new ApiError(status, "payload_too_large", "The file is larger than the server accepts.");
  return new ApiError(status, "http_error", `The server answered ${status}.`);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return `/api${path}${qs ? `?${qs}` : ""}`;
}

/** Calls the API and returns the whole JSON body (for pages that carry `next_cursor`). */
export async function requestRaw<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "Cannot reach the server. Check that `workflow-engine serve` is running.");
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && token && path !== "/auth/login") clearSession();
    throw errorFromBody(res.status, body);
  }
  return body as T;
}

/** Calls the API and unwraps `{ data }`. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const body = await requestRaw<{ data: T }>(path, opts);
  return body.data;
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
