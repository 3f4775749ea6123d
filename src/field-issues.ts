import type { z } from 'zod';

/** One bad field of a configuration file: its dotted path ('' for the whole file) and what is wrong. */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * zod's issues as one entry per bad field, each unknown key named on its own (so each points at
 * the line to delete).
 *
 * @example fieldIssues(schema.safeParse(json).error.issues).map((i) => `${i.path}: ${i.message}`)
 */
export function fieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field' }));
    return [{ path, message: issue.message }];
  });
}
