/**
 * How nodes that started together came together, read from their logs: whether each first formed
 * a cluster of its own (a split, healed only by JGroups' MERGE3) and how long the split lasted.
 * Pure functions of the log text, so the harness's own unit test can feed them real log lines.
 */

export interface TimedView {
  /** Milliseconds of the node's log clock (all nodes of the stand share one clock). */
  at: number;
  /** The view's coordinator (the first member), e.g. `localhost-13153`. */
  coordinator: string;
  size: number;
  /** ISPN000093: the view that ended a split. */
  merged: boolean;
}

export interface StartOutcome {
  /** More than one coordinator among the nodes' first views: they formed separate clusters. */
  split: boolean;
  /** From the moment the last of the separate clusters existed to the merge; 0 without a split. */
  mergeSeconds: number;
  /** Each node's first view, for the report. */
  firstViews: string[];
}

// `2026-11-29 09:58:44,517 INFO  [org.infinispan.CLUSTER] (...) ISPN000094: Received new cluster view for channel ISPN: [localhost-13153(v=16.0.14)|1] (2) [...]`
const VIEW_LINE =
  /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3}) .*ISPN00009([34]): Received new(?:, MERGED)? cluster view for channel \S+: (?:MergeView::)?\[([^|\]]+)\|\d+\] \((\d+)\)/;

/** Every cluster view a node logged, in order, with its time. */
export function timedViews(log: string): TimedView[] {
  const views: TimedView[] = [];
  for (const line of log.split("\n")) {
    const m = VIEW_LINE.exec(line);
    if (m === null) continue;
    views.push({
      at: Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`),
      coordinator: m[5].replace(/\(v=[^)]*\)$/, ""),
      size: Number(m[6]),
      merged: m[4] === "3",
    });
  }
  return views;
}

/**
 * The outcome of a simultaneous start from the logs since that start (one per node). A split is
 * two or more coordinators among the first views; it lasts until the first merged view any node
 * logs. A split that never merged counts as lasting until `now` (log clock).
 */
export function startOutcome(logs: string[], now: number): StartOutcome {
  const perNode = logs.map(timedViews);
  if (perNode.some((views) => views.length === 0)) throw new Error("a node logged no cluster view since its start");
  const firsts = perNode.map((views) => views[0]);
  const firstViews = firsts.map((v) => `${v.coordinator} (${v.size})`);
  const split = new Set(firsts.map((v) => v.coordinator)).size > 1;
  if (!split) return { split, mergeSeconds: 0, firstViews };
  const splitSince = Math.max(...firsts.map((v) => v.at));
  const merges = perNode.flat().filter((v) => v.merged && v.at >= splitSince);
  const mergedAt = merges.length === 0 ? now : Math.min(...merges.map((v) => v.at));
  return { split, mergeSeconds: (mergedAt - splitSince) / 1000, firstViews };
}
