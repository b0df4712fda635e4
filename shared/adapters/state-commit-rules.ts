import { ValidationError } from '../core/errors';
import type { AuditEvent } from '../ports/state-store';

/**
 * A commit's events belong to its mesh. The Tablestore adapter keys a commit's event rows and
 * later vouches for them under that mesh, so an event of another mesh would become invisible
 * once the commit is no longer the head; both adapters refuse such a commit up front.
 */
export function requireOwnEvents(mesh: string, events: AuditEvent[]): void {
  const foreign = [...new Set(events.filter((e) => e.mesh !== mesh).map((e) => e.mesh))];
  if (foreign.length > 0) throw new ValidationError([`a commit to mesh ${mesh} carries events of ${foreign.join(', ')}`]);
}
