/**
 * Queue priority of the next page of a run that has written `pagesDone` pages: least attained
 * service first, in powers of two. Every run's first page is added without a priority, which
 * BullMQ runs before any prioritized job; then a run of 10 pages stays at priority 4 or better
 * while one of 1 000 pages sinks to 10. When workers are saturated, small tenants' pages run
 * first and finish their runs quickly; when workers are idle priorities change nothing.
 */
export function pagePriority(pagesDone: number): number {
  return 1 + Math.floor(Math.log2(1 + Math.max(0, Math.floor(pagesDone))));
}

