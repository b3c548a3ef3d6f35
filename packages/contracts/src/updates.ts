/**
 * What the release service publishes after each commit that changes the board or a release:
 * small notes of what changed (ids and revisions), not the new state. Gateways read the state
 * from Postgres, so what they push is always what the database says.
 */
import { z } from 'zod'

export const Update = z.object({
  /** Board cells whose deployments changed, with their new revision. */
  cells: z.array(z.object({ product_id: z.string(), environment_id: z.string(), rev: z.number() })),
  /** Deployments that changed, for the live feed and product pages. */
  deployments: z.array(z.string()),
  /**
   * Releases that changed, with their new revision. In a note with cells, by those cells'
   * deployments (only their rows of the progress matrix moved); in a note without, changed
   * themselves (edited, versions added or removed).
   */
  releases: z.array(z.object({ id: z.string(), rev: z.number() })),
  /** The events this commit recorded (lets a benchmark time each event's way to the browser). */
  events: z.array(z.string()),
  /**
   * Set when the publisher may have missed telling something (it restarted, or its NATS
   * connection came back): every client should fetch a fresh snapshot.
   */
  resync: z.boolean().optional(),
})
export type Update = z.infer<typeof Update>
