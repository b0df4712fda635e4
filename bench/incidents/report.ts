export function writeReport(..._a: unknown[]): void {}
