import { parseTopology } from '../../../../lab/topology/schema';
import { ValidationError } from '../../../../shared/core/errors';

/** The problems parseTopology reports for an input (empty when it parses); anything else is rethrown. */
export function topologyProblems(input: unknown): string[] {
  try {
    parseTopology(input);
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  return [];
}
