/**
 * A route is data: method, path, the schemas of its parameters, query, body and response, the
 * access it needs and a handler. The HTTP app, the OpenAPI document and the route × role test all
 * read the same list, so none of them can forget a route.
 */
import type { z } from "zod";
import type { SlipwayError } from "../core/errors.ts";
import type { GatePorts } from "../delivery/promotion-facts.ts";
import type { ReleaseSources } from "../delivery/release-from-git.ts";
import type { Platform } from "../spec/platform-schema.ts";
import type { Store } from "../store/store.ts";
import type { Access, Principal } from "./auth/principal.ts";

export type Method = "get" | "post" | "put" | "patch" | "delete";

export interface HandlerInput<P, Q, B> {
  readonly principal: Principal;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly store: Store;
  /** Reads repositories for releases; undefined on a server that does not (it then says so). */
  readonly releaseSources: ReleaseSources | undefined;
  /** The platform in use (the last platform file that validated): channels and the DORA settings. */
  readonly platform: () => Pick<Platform, "channels" | "dora">;
  /** The custom rules and live view the promotion gates read; absent: built-in rules, the record alone. */
  readonly gatePorts?: GatePorts | undefined;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, R = unknown> {
  readonly method: Method;
  /** Hono syntax: `/api/v1/apps/:app`. */
  readonly path: string;
  readonly summary: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  readonly response: z.ZodType<R>;
  readonly status?: 200 | 201;
  /** The status of this result when it varies (201 created, 200 the same thing found again). */
  readonly statusOf?: (result: R) => 200 | 201;
  readonly access: Access;
  /** The team that owns what the request touches, for team-scoped access; may throw not-found. */
  readonly team?: (input: Omit<HandlerInput<P, Q, B>, "principal">) => Promise<string>;
  /**
   * For what only its team may know exists (apps, releases, deployments): the error a missing one
   * gets. A caller outside the owning team gets exactly this error, so neither the status nor the
   * message tells another team's resource from one that does not exist. Routes that name a team
   * leave it out: team names are listed to everyone.
   */
  readonly concealed?: (params: P, query: Q) => SlipwayError | undefined;
  readonly handle: (input: HandlerInput<P, Q, B>) => Promise<R>;
}

/** Keeps each route's types linked while the list holds routes of different shapes. */
export function route<P, Q, B, R>(def: RouteDef<P, Q, B, R>): RouteDef {
  return def as unknown as RouteDef;
}
