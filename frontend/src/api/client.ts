/**
 * The hub's HTTP API. `api` is typed from the OpenAPI schema (`openapi.json` -> `schema.d.ts`, `make openapi`);
 * `request` reaches endpoints this hub's schema may not have yet (tasks, memory, locks, approvals, audit on a
 * hub built without them), typed by hand from the protocol in `types.ts`.
 */
import createClient, { type Middleware } from "openapi-fetch";

import { getToken } from "../lib/auth";
import type { paths } from "./schema";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** A list endpoint the hub does not have: the feature is not on this hub. */
  get unavailable(): boolean {
    return this.status === 404 || this.status === 405;
  }
}

function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

const auth: Middleware = {
  onRequest({ request }) {
    for (const [name, value] of Object.entries(authHeaders())) request.headers.set(name, value);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

async function toError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall through to the status text
  }
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  return new ApiError(
    response.status,
    error?.code ?? `http_${response.status}`,
    error?.message ?? (response.statusText || `the hub answered ${response.status}`),
    error?.details,
  );
}

/** The data of an openapi-fetch answer, or the hub's error thrown as an `ApiError`. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (exc) {
    throw new ApiError(0, "network", `the hub cannot be reached (${String(exc)})`);
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) {
    const body = error as { error?: { code?: string; message?: string; details?: unknown } } | undefined;
    throw new ApiError(
      response.status,
      body?.error?.code ?? `http_${response.status}`,
      body?.error?.message ?? (response.statusText || `the hub answered ${response.status}`),
      body?.error?.details,
    );
  }
  return data as T;
}

type Query = Record<string, string | number | boolean | undefined | null>;

/** A call by path for endpoints typed by hand. 204 answers `null`. */
export async function request<T>(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  options: { query?: Query; body?: unknown } = {},
): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { ...authHeaders(), ...(options.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  } catch (exc) {
    throw new ApiError(0, "network", `the hub cannot be reached (${String(exc)})`);
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return null as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** A path segment that may contain `/` (memory keys, channel names): each part encoded, slashes kept. */
export function pathOf(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}
